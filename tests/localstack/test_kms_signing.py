"""JWT signing through LocalStack's KMS, both message types, opened as the auth service opens
its key ring; and why RAW stays the default: the moto server gets DIGEST wrong."""

import base64
from contextlib import AsyncExitStack
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from auth.keys import open_key_ring
from auth.settings import Settings
from auth.signing import KmsMessageType, KmsSigner
from auth.tokens import TokenMinter
from common.identity import Principal
from common.security import JwtVerifier
from infra.local.stack import Stack
from tests.localstack.conftest import client

pytestmark = [pytest.mark.localstack, pytest.mark.integration]
ISSUER, AUDIENCE = "https://auth.test", "fastfood-api"


def public_key_of(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    return rsa.RSAPublicNumbers(number(jwk["e"]), number(jwk["n"])).public_key()


def _new_key(endpoint_url: str) -> str:
    kms = client("kms", endpoint_url)
    arn: str = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    return arn


def _settings(endpoint_url: str, message_type: str) -> Settings:
    values: dict[str, Any] = {
        "aws_endpoint_url": endpoint_url,
        "signer": "kms",
        "kms_key_id": _new_key(endpoint_url),
        "kms_message_type": message_type,
    }
    return Settings(**values)


@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
async def test_tokens_signed_by_localstack_kms_verify_through_the_key_set(
    stack: Stack, message_type: str
) -> None:
    async with AsyncExitStack() as exits:
        ring = await open_key_ring(_settings(stack.localstack.url, message_type), exits)
        minter = TokenMinter(ring.signer, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=900)
        token = (await minter.mint(Principal("cook-1", "staff", "cook"))).access_token
        verifier = JwtVerifier(ring.key_source, issuer=ISSUER, audience=AUDIENCE)
        principal = await verifier.verify(token)
    assert (principal.subject, principal.role) == ("cook-1", "staff")


async def test_digest_signs_inputs_of_any_size_and_each_signature_is_over_the_input(
    stack: Stack,
) -> None:
    message = b"eyJhbGciOiJSUzI1NiJ9." + b"x" * 8000  # over KMS's 4096-byte RAW limit
    async with AsyncExitStack() as exits:
        ring = await open_key_ring(_settings(stack.localstack.url, "DIGEST"), exits)
        signature = await ring.signer.sign(message)
    public = public_key_of(ring.signer.public_jwk())
    public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(signature, message + b"x", padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.parametrize(("backend", "valid"), [("localstack", True), ("moto", False)])
async def test_digest_signatures_are_right_on_localstack_and_wrong_on_moto(
    stack: Stack, backend: str, valid: bool
) -> None:
    """The difference that keeps AUTH_KMS_MESSAGE_TYPE=RAW the default (moto: `make run`)."""
    url = stack.localstack.url if backend == "localstack" else stack.moto.url
    message_type: KmsMessageType = "DIGEST"
    async with AsyncExitStack() as exits:
        ring = await open_key_ring(_settings(url, message_type), exits)
        assert isinstance(ring.signer, KmsSigner)
        message = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"
        signature = await ring.signer.sign(message)
    public = public_key_of(ring.signer.public_jwk())
    try:
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        verified = True
    except InvalidSignature:
        verified = False
    assert verified is valid
