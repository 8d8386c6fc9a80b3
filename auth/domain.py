"""Auth domain: CPF and e-mail rules, accounts, token claims and JWT compact encoding.

Pure: no I/O. Signing itself is a port (`auth.signing.Signer`); this module only builds the
bytes to sign and assembles the compact token around the signature.
"""

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from common.identity import Principal

StaffRole = Literal["staff", "admin"]

_CPF_FORMATS = re.compile(r"^(\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2})$")
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is not our job.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 120
USERNAME_PATTERN = r"^[a-zA-Z0-9_.-]{3,64}$"
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256  # bounds the KDF work an attacker can ask for


class InvalidCpf(ValueError):
    pass


def _check_digit(digits: str) -> int:
    weight = len(digits) + 1
    total = sum(int(d) * (weight - i) for i, d in enumerate(digits))
    rest = total * 10 % 11
    return 0 if rest == 10 else rest


def normalize_cpf(raw: str) -> str:
    """Return the 11 digits of a valid CPF ("123.456.789-09" or "12345678909")."""
    value = raw.strip()
    if not _CPF_FORMATS.match(value):
        raise InvalidCpf("CPF must be 11 digits, optionally formatted as 000.000.000-00")
    digits = re.sub(r"\D", "", value)
    if digits == digits[0] * 11:  # passes the checksum, yet never issued
        raise InvalidCpf("CPF is invalid")
    first = _check_digit(digits[:9])
    second = _check_digit(digits[:9] + str(first))
    if digits[9:] != f"{first}{second}":
        raise InvalidCpf("CPF check digits do not match")
    return digits


def is_valid_cpf(raw: str) -> bool:
    try:
        normalize_cpf(raw)
    except InvalidCpf:
        return False
    return True


def normalize_email(raw: str) -> str:
    value = raw.strip()
    if len(value) > EMAIL_MAX_LENGTH or not _EMAIL.match(value):
        raise ValueError("e-mail address is invalid")
    return value


@dataclass(frozen=True)
class Customer:
    id: UUID
    cpf: str
    name: str
    email: str
    created_at: datetime


@dataclass(frozen=True)
class StaffAccount:
    id: UUID
    username: str
    password_hash: str
    role: StaffRole
    active: bool = True  # deactivated accounts cannot log in; the row stays for the audit
    created_at: datetime | None = None


def principal_of_customer(customer: Customer) -> Principal:
    return Principal(str(customer.id), "customer", customer.name, customer.email)


def principal_of_staff(account: StaffAccount) -> Principal:
    # name = username, so other services can record which staff member acted.
    return Principal(str(account.id), account.role, account.username)


def build_claims(
    identity: Principal, *, issuer: str, audience: str, now: int, ttl_seconds: int, jti: str
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": identity.subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": jti,
        "role": identity.role,
        "anonymous": identity.anonymous,
    }
    if identity.name is not None:
        claims["name"] = identity.name
    if identity.email is not None:
        claims["email"] = identity.email
    return claims


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def signing_input(kid: str, claims: dict[str, Any]) -> bytes:
    """`base64url(header).base64url(payload)`: the bytes an RS256 signer signs."""
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    return f"{b64url(_compact_json(header))}.{b64url(_compact_json(claims))}".encode("ascii")


def compact_jwt(signed: bytes, signature: bytes) -> str:
    return f"{signed.decode('ascii')}.{b64url(signature)}"


def check_username(username: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, username):  # match() lets "name\n" through
        raise ValueError("username must be 3 to 64 letters, digits, '.', '_' or '-'")
    return username


def check_new_password(password: str) -> str:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValueError(
            f"password must have {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters"
        )
    return password
