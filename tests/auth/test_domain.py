"""Auth domain: CPF check digits, e-mail, claims and the JWT compact encoding."""

import base64
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from auth.domain import (
    Customer,
    InvalidCpf,
    StaffAccount,
    build_claims,
    check_new_password,
    check_username,
    compact_jwt,
    is_valid_cpf,
    normalize_cpf,
    normalize_email,
    principal_of_customer,
    principal_of_staff,
    signing_input,
)
from common.identity import Principal


def _segment(token_part: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(token_part + "=" * 4))
    return data


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("529.982.247-25", "52998224725"),
        ("52998224725", "52998224725"),
        ("123.456.789-09", "12345678909"),
        ("111.444.777-35", "11144477735"),
        ("935.411.347-80", "93541134780"),
        ("704.999.622-06", "70499962206"),  # first check digit comes from remainder 10 -> 0
        ("  390.533.447-05 ", "39053344705"),
    ],
)
def test_valid_cpf_is_normalized_to_its_eleven_digits(raw: str, digits: str) -> None:
    assert normalize_cpf(raw) == digits
    assert is_valid_cpf(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "529.982.247-26",  # wrong second check digit
        "529.982.247-15",  # wrong first check digit
        "12345678900",
        "704.999.622-16",  # the remainder-10 digit must be 0, never 10 or 1
        *[str(d) * 11 for d in range(10)],  # all-same digits pass the checksum but are void
        "111.111.111-11",
        "5299822472",  # 10 digits
        "529982247250",  # 12 digits
        "529.982.24725",  # half-formatted
        "529-982-247.25",
        "529 982 247 25",
        "abcdefghijk",
        "",
    ],
)
def test_invalid_cpf_is_rejected(raw: str) -> None:
    assert not is_valid_cpf(raw)
    with pytest.raises(InvalidCpf):
        normalize_cpf(raw)


def test_invalid_cpf_is_a_value_error_so_request_models_answer_422() -> None:
    assert issubclass(InvalidCpf, ValueError)


@pytest.mark.parametrize("email", ["maria@example.com", "a.b+c@sub.example.com.br", " x@y.io "])
def test_plain_email_addresses_are_accepted(email: str) -> None:
    assert normalize_email(email) == email.strip()


@pytest.mark.parametrize(
    "email",
    [
        "",
        "maria",
        "maria@",
        "@example.com",
        "maria@example",
        "ma ria@example.com",
        "maria@@example.com",
        "maria@exa mple.com",
        "maria@example..com",
        "a" * 250 + "@x.io",
    ],
)
def test_malformed_email_addresses_are_rejected(email: str) -> None:
    with pytest.raises(ValueError):
        normalize_email(email)


def test_customer_claims_carry_identity_expiry_and_audience() -> None:
    customer = Customer(uuid4(), "52998224725", "Maria", "maria@example.com", datetime.now(UTC))
    claims = build_claims(
        principal_of_customer(customer),
        issuer="https://iss",
        audience="api",
        now=1_000,
        ttl_seconds=900,
        jti="j-1",
    )
    assert claims == {
        "iss": "https://iss",
        "aud": "api",
        "sub": str(customer.id),
        "iat": 1_000,
        "nbf": 1_000,
        "exp": 1_900,
        "jti": "j-1",
        "role": "customer",
        "anonymous": False,
        "name": "Maria",
        "email": "maria@example.com",
    }
    assert "cpf" not in claims  # personal data stays in the auth database


def test_anonymous_claims_have_no_name_or_email() -> None:
    identity = Principal("anon-sub", "customer", anonymous=True)
    claims = build_claims(identity, issuer="i", audience="a", now=5, ttl_seconds=60, jti="j")
    assert claims["anonymous"] is True
    assert "name" not in claims and "email" not in claims


def test_staff_claims_carry_the_account_role_and_username() -> None:
    account = StaffAccount(uuid4(), "chef", "hash", "admin")
    claims = build_claims(
        principal_of_staff(account), issuer="i", audience="a", now=5, ttl_seconds=60, jti="j"
    )
    assert (claims["role"], claims["name"], claims["sub"]) == ("admin", "chef", str(account.id))
    assert "email" not in claims


def test_signing_input_is_base64url_header_and_payload_without_padding() -> None:
    message = signing_input("kid-1", {"sub": "s", "name": "Jo\u00e3o?>"})
    header, payload = message.decode().split(".")
    assert "=" not in message.decode() and "+" not in message.decode()
    assert _segment(header) == {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    assert _segment(payload) == {"sub": "s", "name": "Jo\u00e3o?>"}


def test_compact_jwt_appends_the_base64url_signature() -> None:
    token = compact_jwt(b"aGVhZA.Ym9keQ", b"\xfb\xff\xfe")
    assert token == "aGVhZA.Ym9keQ.-__-"


@pytest.mark.parametrize("username", ["staff", "chef.maria", "a_b-c", "x" * 64])
def test_usernames_of_letters_digits_and_separators_are_accepted(username: str) -> None:
    assert check_username(username) == username


@pytest.mark.parametrize("username", ["", "ab", "x" * 65, "has space", "maria@shop"])
def test_odd_usernames_are_rejected(username: str) -> None:
    with pytest.raises(ValueError):
        check_username(username)


def test_new_passwords_need_twelve_characters_and_are_bounded() -> None:
    assert check_new_password("x" * 12)
    for bad in ("short", "x" * 11, "x" * 257):
        with pytest.raises(ValueError):
            check_new_password(bad)
