"""JWT verification against the auth service's JWKS, and the FastAPI dependencies built on it.

The verifier pins RS256, requires `exp`, `iss`, `aud`, `sub` and `role`, and refreshes
its key set when it meets an unknown `kid` — at most once per `min_refresh_seconds`, so a
flood of forged kids cannot turn into a flood of JWKS fetches.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import httpx
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt

from common.errors import Forbidden, Unauthorized
from common.logging import get_logger

log = get_logger(__name__)

Role = Literal["customer", "staff", "admin"]
ROLES: tuple[Role, ...] = ("customer", "staff", "admin")
ALGORITHM = "RS256"

KeySource = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    name: str | None = None
    email: str | None = None
    anonymous: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")


def jwks_from_url(url: str, client: httpx.AsyncClient) -> KeySource:
    async def fetch() -> dict[str, Any]:
        response = await client.get(url, timeout=5.0)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    return fetch


class JwtVerifier:
    def __init__(
        self, keys: KeySource, *, issuer: str, audience: str, min_refresh_seconds: float = 30.0
    ) -> None:
        self._source = keys
        self._issuer = issuer
        self._audience = audience
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, dict[str, Any]] = {}
        self._last_refresh = float("-inf")

    async def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._last_refresh < self._min_refresh:
            return
        self._last_refresh = now
        try:
            jwks = await self._source()
        except Exception as exc:
            log.warning("could not fetch JWKS: %s", exc)
            return
        self._keys = {k["kid"]: k for k in jwks.get("keys", []) if "kid" in k}

    async def _key_for(self, kid: str) -> dict[str, Any]:
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("unknown signing key")
        return key

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("token algorithm not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("token has no key id")
        key = await self._key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require_exp": True, "require_sub": True, "require_iat": True},
            )
        except JWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        role = claims.get("role")
        if role not in ROLES:
            raise Unauthorized("token has no valid role")
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            name=claims.get("name"),
            email=claims.get("email"),
            anonymous=bool(claims.get("anonymous", False)),
        )


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    verifier: JwtVerifier = request.app.state.verifier
    return await verifier.verify(credentials.credentials)


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"requires role {' or '.join(roles)}")
        return principal

    return dependency


CurrentUser = Annotated[Principal, Depends(current_principal)]
CustomerUser = Annotated[Principal, Depends(require_role("customer"))]
StaffUser = Annotated[Principal, Depends(require_role("staff", "admin"))]
AdminUser = Annotated[Principal, Depends(require_role("admin"))]
