"""Signers, key ring and token minting: tokens verify with PyJWT and JwtVerifier."""

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth.keys import signer_from_secret
from auth.settings import Settings
from auth.signing import KeyRing, PemSigner, jwk_thumbprint, rsa_public_jwk
from auth.tokens import TokenMinter
from common.errors import Unauthorized
from common.identity import Principal
from common.security import JwtVerifier


def private_pem(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


PEM = private_pem()
OTHER_PEM = private_pem()


def minter(signer: PemSigner, ttl: int = 900, clock: Any = time.time) -> TokenMinter:
    return TokenMinter(
        signer, issuer="https://auth.test", audience="fastfood-api", ttl_seconds=ttl, clock=clock
    )


def test_jwk_thumbprint_matches_the_rfc_7638_example() -> None:
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhA"
        "I4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    jwk = {"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_pem_signer_publishes_only_the_public_key_with_its_thumbprint_as_kid() -> None:
    signer = PemSigner(PEM)
    jwk = signer.public_jwk()
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}
    assert jwk["kid"] == signer.kid == jwk_thumbprint(jwk)
    assert (jwk["kty"], jwk["e"], jwk["use"], jwk["alg"]) == ("RSA", "AQAB", "sig", "RS256")


def test_pem_signer_keeps_an_explicit_kid() -> None:
    assert PemSigner(PEM, kid="local-1").public_jwk()["kid"] == "local-1"


def test_weak_or_non_rsa_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        PemSigner(private_pem(1024))
    with pytest.raises(ValueError):
        PemSigner("not a pem")


async def test_minted_token_verifies_with_pyjwt_against_the_public_jwk() -> None:
    signer = PemSigner(PEM)
    issued = await minter(signer).mint(Principal("sub-1", "staff", "chef"))
    assert jwt.get_unverified_header(issued.access_token) == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": signer.kid,
    }
    claims = jwt.decode(
        issued.access_token,
        jwt.PyJWK(signer.public_jwk()),
        algorithms=["RS256"],
        audience="fastfood-api",
        issuer="https://auth.test",
    )
    assert (claims["sub"], claims["role"], claims["name"]) == ("sub-1", "staff", "chef")
    assert claims["exp"] - claims["iat"] == 900 == issued.expires_in


async def test_minted_token_is_accepted_by_the_shared_verifier() -> None:
    ring = KeyRing(PemSigner(PEM))
    issued = await minter(ring.signer).mint(
        Principal("c-1", "customer", "Maria", "maria@example.com")
    )
    verifier = JwtVerifier(ring.key_source, issuer="https://auth.test", audience="fastfood-api")
    principal = await verifier.verify(issued.access_token)
    assert (principal.subject, principal.role, principal.name, principal.email) == (
        "c-1",
        "customer",
        "Maria",
        "maria@example.com",
    )
    assert principal.anonymous is False


async def test_every_token_has_its_own_jti() -> None:
    tokens = minter(PemSigner(PEM))
    first = await tokens.mint(Principal("s", "customer"))
    second = await tokens.mint(Principal("s", "customer"))
    jtis = {
        jwt.decode(t.access_token, options={"verify_signature": False})["jti"]
        for t in (first, second)
    }
    assert len(jtis) == 2


async def test_expired_token_is_refused_by_the_verifier() -> None:
    ring = KeyRing(PemSigner(PEM))
    issued = await minter(ring.signer, ttl=60, clock=lambda: time.time() - 3600).mint(
        Principal("s", "customer")
    )
    verifier = JwtVerifier(ring.key_source, issuer="https://auth.test", audience="fastfood-api")
    with pytest.raises(Unauthorized):
        await verifier.verify(issued.access_token)


async def test_tokens_of_a_retired_key_still_verify_after_rotation() -> None:
    old = PemSigner(OTHER_PEM)
    old_token = await minter(old).mint(Principal("s", "customer"))
    ring = KeyRing(PemSigner(PEM), retired=[old.public_jwk()])
    assert [k["kid"] for k in ring.jwks()["keys"]] == [ring.signer.kid, old.kid]
    verifier = JwtVerifier(ring.key_source, issuer="https://auth.test", audience="fastfood-api")
    assert (await verifier.verify(old_token.access_token)).subject == "s"


def test_key_ring_never_publishes_private_members_of_a_retired_key() -> None:
    key = serialization.load_pem_private_key(OTHER_PEM.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    leaked = {**rsa_public_jwk(key.public_key()), "d": "secret", "p": "x", "q": "y"}
    ring = KeyRing(PemSigner(PEM), retired=[leaked])
    assert all("d" not in k and "p" not in k for k in ring.jwks()["keys"])


def test_key_ring_does_not_list_the_active_key_twice() -> None:
    signer = PemSigner(PEM)
    assert len(KeyRing(signer, retired=[signer.public_jwk()]).jwks()["keys"]) == 1


def test_secret_string_gives_the_signer_its_kid_and_retired_keys() -> None:
    retired = PemSigner(OTHER_PEM).public_jwk()
    secret = json.dumps(
        {"kid": "local-1", "private_key_pem": PEM, "retired_public_jwks": [retired]}
    )
    signer, old = signer_from_secret(secret)
    assert signer.kid == "local-1" and old == [retired]
    with pytest.raises(ValueError):
        signer_from_secret('{"kid": "x"}')


def test_a_key_file_alone_selects_the_file_signer(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    assert Settings(signing_key_file=path).signer == "file"
    assert Settings().signer == "secret"
    with pytest.raises(ValueError):
        Settings(signer="file")
    with pytest.raises(ValueError):
        Settings(signer="kms")


# Production wiring, so that each test below is about the seeded passwords only.
PROD: dict[str, Any] = {
    "environment": "prod",
    "jwt_issuer": "https://api.example.com/auth",
    "jwks_url": "http://internal-alb.example.com/auth/.well-known/jwks.json",
    "db_host": "auth.cluster.example.com",
    "db_password": "a-database-password",
}


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"staff_password": "a-strong-prod-password"},
        {"admin_password": "a-strong-prod-password"},
    ],
)
def test_prod_settings_refuse_the_local_default_passwords(overrides: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="local default"):
        Settings(**PROD, **overrides)


def test_prod_settings_accept_seeding_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_STAFF_USERNAME", "")
    monkeypatch.setenv("AUTH_ADMIN_USERNAME", "")
    assert Settings(**PROD).seed_accounts() == []


def test_prod_settings_accept_real_passwords() -> None:
    settings = Settings(
        **PROD,
        staff_password="prod-staff-password",
        admin_password="prod-admin-pw-1",
    )
    assert settings.signer == "secret"
