"""One Signer contract, run against every way the auth service can hold its key.

PEM from Secrets Manager, PEM from a file, and an asymmetric KMS key (the moto server's),
each opened exactly as the service opens it (`auth.keys.open_key_ring`). The KMS signer must
send `MessageType=RAW` (KMS hashes the JWT signing input itself). moto ignores MessageType,
so that part is pinned against a stand-in with AWS's semantics (last test).
"""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from auth.keys import open_key_ring
from auth.settings import Settings
from auth.signing import KeyRing
from auth.tokens import TokenMinter
from common.identity import Principal
from common.security import JwtVerifier
from infra.local.bootstrap import local_signing_key_pem
from infra.local.moto import MotoServer

pytestmark = pytest.mark.integration
ISSUER, AUDIENCE = "https://auth.test", "fastfood-api"


def _b64_int(value: str) -> int:
    import base64

    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def public_key_of(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(_b64_int(jwk["e"]), _b64_int(jwk["n"])).public_key()


def settings_for(kind: str, moto: MotoServer, tmp_path: Path) -> Settings:
    aws = boto3.Session(region_name="us-east-1")
    values: dict[str, Any] = {"aws_endpoint_url": moto.url, "signer": kind}
    if kind == "secret":
        name = f"signing-{uuid.uuid4().hex[:8]}"
        secret = {"kid": "from-secret", "private_key_pem": local_signing_key_pem()}
        aws.client("secretsmanager", endpoint_url=moto.url).create_secret(
            Name=name, SecretString=json.dumps(secret)
        )
        values["signing_key_secret_name"] = name
    elif kind == "file":
        values["signing_key_file"] = tmp_path / "key.pem"
        values["signing_key_file"].write_text(local_signing_key_pem())
    else:
        kms = aws.client("kms", endpoint_url=moto.url)
        key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        values["kms_key_id"] = key["Arn"]
    return Settings(**values)


@pytest.fixture(params=["secret", "file", "kms"])
async def ring(
    request: pytest.FixtureRequest, moto_server: MotoServer, tmp_path: Path
) -> AsyncIterator[KeyRing]:
    async with AsyncExitStack() as stack:
        yield await open_key_ring(settings_for(request.param, moto_server, tmp_path), stack)


async def test_the_signer_publishes_a_public_rsa_key_under_its_kid(ring: KeyRing) -> None:
    jwk = ring.signer.public_jwk()
    assert jwk["kid"] == ring.signer.kid and ring.signer.kid
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}  # nothing private
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert public_key_of(jwk).key_size >= 2048
    assert ring.jwks() == {"keys": [jwk]}


async def test_signatures_are_rs256_over_the_raw_signing_input(ring: KeyRing) -> None:
    message = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"
    signature = await ring.signer.sign(message)
    public = public_key_of(ring.signer.public_jwk())
    public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(signature, message + b"x", padding.PKCS1v15(), hashes.SHA256())


async def test_minted_tokens_verify_through_the_published_key_set(ring: KeyRing) -> None:
    minter = TokenMinter(ring.signer, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=900)
    token = (await minter.mint(Principal("cook-1", "staff", "cook"))).access_token
    assert jwt.get_unverified_header(token)["kid"] == ring.signer.kid
    principal = await JwtVerifier(ring.key_source, issuer=ISSUER, audience=AUDIENCE).verify(token)
    assert (principal.subject, principal.role, principal.name) == ("cook-1", "staff", "cook")
    claims = jwt.decode(
        token,
        jwt.PyJWK(ring.signer.public_jwk()),
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    assert claims["exp"] - claims["iat"] == 900 and claims["nbf"] == claims["iat"]


class KmsWithAwsSemantics:
    """What AWS KMS does with `Sign` (moto ignores MessageType, so it cannot tell RAW from
    DIGEST): RAW hashes the message, DIGEST takes it as the 32-byte SHA-256 digest."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.calls: list[dict[str, Any]] = []

    async def get_public_key(self, KeyId: str) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization

        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        arn = f"arn:aws:kms:us-east-1:000000000000:key/{uuid.uuid4()}"
        return {"KeyId": arn, "PublicKey": der, "SigningAlgorithms": ["RSASSA_PKCS1_V1_5_SHA_256"]}

    async def sign(self, **call: Any) -> dict[str, Any]:
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        self.calls.append(call)
        assert call["SigningAlgorithm"] == "RSASSA_PKCS1_V1_5_SHA_256"
        if call["MessageType"] == "DIGEST":
            if len(call["Message"]) != 32:
                raise ValueError("ValidationException: digest must be 32 bytes")
            algorithm: Any = Prehashed(hashes.SHA256())
        else:
            algorithm = hashes.SHA256()
        return {"Signature": self.key.sign(call["Message"], padding.PKCS1v15(), algorithm)}


async def test_the_kms_signer_sends_the_signing_input_raw_as_kms_expects() -> None:
    from auth.signing import KmsSigner

    kms = KmsWithAwsSemantics()
    signer = await KmsSigner.load(kms, "alias/jwt")
    message = b"eyJhbGciOiJSUzI1NiJ9." + b"x" * 500  # longer than any digest
    signature = await signer.sign(message)
    assert [c["MessageType"] for c in kms.calls] == ["RAW"]
    public_key_of(signer.public_jwk()).verify(
        signature, message, padding.PKCS1v15(), hashes.SHA256()
    )
