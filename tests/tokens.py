"""A test token issuer: a real RSA key, real RS256 JWTs, and its JWKS as a key source.

Services under test get `TOKENS.key_source` instead of fetching the auth service's JWKS.
"""

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "http://test.local/auth"
AUDIENCE = "fastfood-api"


class TestIssuer:
    __test__ = False

    def __init__(self, kid: str = "test-key-1") -> None:
        self.kid = kid
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.public_jwk = {
            **RSAAlgorithm.to_jwk(key.public_key(), as_dict=True),
            "kid": kid,
            "use": "sig",
            "alg": "RS256",
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    async def key_source(self) -> dict[str, Any]:
        return self.jwks()

    def token(self, role: str = "customer", sub: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub or str(uuid.uuid4()),
            "role": role,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
            **claims,
        }
        return jwt.encode(payload, self.private_pem, algorithm="RS256", headers={"kid": self.kid})

    def headers(
        self, role: str = "customer", sub: str | None = None, **claims: Any
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, sub, **claims)}"}


TOKENS = TestIssuer()
