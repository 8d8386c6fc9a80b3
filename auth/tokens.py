"""Mint access tokens: domain claims, encoded and signed through the `Signer` port."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

from auth.domain import build_claims, compact_jwt, signing_input
from auth.signing import Signer
from common.identity import Principal


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenMinter:
    def __init__(
        self,
        signer: Signer,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signer = signer
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds
        self._clock = clock

    async def mint(self, identity: Principal) -> IssuedToken:
        claims = build_claims(
            identity,
            issuer=self._issuer,
            audience=self._audience,
            now=int(self._clock()),
            ttl_seconds=self._ttl,
            jti=str(uuid4()),
        )
        message = signing_input(self._signer.kid, claims)
        signature = await self._signer.sign(message)
        return IssuedToken(compact_jwt(message, signature), self._ttl)
