"""Token signers (RS256) and the key ring published as the JWKS.

A `Signer` holds one private key and signs the JWT signing input with RSASSA-PKCS1-v1_5
SHA-256. `PemSigner` keeps the key in process memory (file or Secrets Manager); `KmsSigner`
asks AWS KMS, so the private key never leaves it. Retired public keys stay in the JWKS after
a rotation until the tokens they signed have expired.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from auth.domain import b64url

KMS_SIGNING_ALGORITHM = "RSASSA_PKCS1_V1_5_SHA_256"
# RAW: KMS hashes the signing input (at most 4096 bytes). DIGEST: we send its SHA-256, so
# any size works and the claims never reach KMS; the moto server gets DIGEST wrong (it
# hashes the digest again), AWS and LocalStack do not.
KmsMessageType = Literal["RAW", "DIGEST"]
MIN_KEY_BITS = 2048
_PUBLIC_JWK_MEMBERS = ("kty", "n", "e", "kid", "use", "alg")


class Signer(Protocol):
    kid: str

    def public_jwk(self) -> dict[str, Any]: ...

    async def sign(self, message: bytes) -> bytes: ...


def _uint_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def rsa_public_jwk(key: rsa.RSAPublicKey, kid: str | None = None) -> dict[str, Any]:
    numbers = key.public_numbers()
    jwk: dict[str, Any] = {"kty": "RSA", "n": _uint_b64(numbers.n), "e": _uint_b64(numbers.e)}
    return {**jwk, "kid": kid or jwk_thumbprint(jwk), "use": "sig", "alg": "RS256"}


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, no whitespace."""
    required = {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def public_only(jwk: dict[str, Any]) -> dict[str, Any]:
    """Drop every private member: a retired key configured by mistake must never leak."""
    if jwk.get("kty") != "RSA" or not jwk.get("kid") or not jwk.get("n"):
        raise ValueError("a published key must be an RSA JWK with a kid")
    return {k: jwk[k] for k in _PUBLIC_JWK_MEMBERS if k in jwk}


def _require_strong(key_size: int, where: str) -> None:
    if key_size < MIN_KEY_BITS:
        raise ValueError(f"{where}: RSA keys need at least {MIN_KEY_BITS} bits")


class PemSigner:
    def __init__(self, private_key_pem: str, kid: str | None = None) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("signing key: RS256 needs an RSA private key")
        _require_strong(key.key_size, "signing key")
        self._key = key
        self._jwk = rsa_public_jwk(key.public_key(), kid)
        self.kid: str = self._jwk["kid"]

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._jwk)

    async def sign(self, message: bytes) -> bytes:
        # ~1 ms for RSA-2048: cheaper than a thread hop.
        return self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())


class KmsSigner:
    """Signs with an asymmetric KMS key (RSA_2048, SIGN_VERIFY); kid = the key's UUID.

    `key_id` may be an id, ARN or alias; the kid is the key's own id, so a new key (the
    only way to rotate an asymmetric KMS key) always brings a new kid.
    """

    def __init__(
        self,
        kms: Any,
        key_id: str,
        public_key: rsa.RSAPublicKey,
        kid: str | None = None,
        message_type: KmsMessageType = "RAW",
    ) -> None:
        self._kms = kms
        self._key_id = key_id
        self._message_type = message_type
        _require_strong(public_key.key_size, f"KMS key {key_id}")
        self._jwk = rsa_public_jwk(public_key, kid)
        self.kid: str = self._jwk["kid"]

    @classmethod
    async def load(cls, kms: Any, key_id: str, message_type: KmsMessageType = "RAW") -> "KmsSigner":
        described = await kms.get_public_key(KeyId=key_id)
        if KMS_SIGNING_ALGORITHM not in described.get("SigningAlgorithms", []):
            raise ValueError(f"KMS key {key_id} cannot sign with {KMS_SIGNING_ALGORITHM}")
        public = serialization.load_der_public_key(described["PublicKey"])
        if not isinstance(public, rsa.RSAPublicKey):
            raise ValueError(f"KMS key {key_id} is not an RSA key")
        # GetPublicKey answers with the key ARN: ".../key/<uuid>".
        kid = str(described.get("KeyId", "")).rpartition("key/")[2] or None
        return cls(kms, key_id, public, kid, message_type)

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._jwk)

    async def sign(self, message: bytes) -> bytes:
        if self._message_type == "DIGEST":
            message = hashlib.sha256(message).digest()
        response = await self._kms.sign(
            KeyId=self._key_id,
            Message=message,
            MessageType=self._message_type,
            SigningAlgorithm=KMS_SIGNING_ALGORITHM,
        )
        signature: bytes = response["Signature"]
        return signature


@dataclass
class KeyRing:
    """The active signer plus the public keys of retired signers, still trusted for reads."""

    signer: Signer
    retired: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.retired = [public_only(k) for k in self.retired if k.get("kid") != self.signer.kid]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.signer.public_jwk(), *self.retired]}

    async def key_source(self) -> dict[str, Any]:
        """A `common.security.KeySource` over this ring: the app verifies its own tokens."""
        return self.jwks()
