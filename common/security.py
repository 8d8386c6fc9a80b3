"""JWT verification against the auth service's JWKS, and the FastAPI dependencies built on it.

The verifier pins RS256 and RSA keys (no `alg: none`, no HS256 signed with the public key),
requires `exp`, `nbf`, `iat`, `iss`, `aud`, `sub` and a known `role`, and allows 30 s of clock
skew. It refreshes its key set when it meets an unknown `kid` (so a rotated-in key works at
once) or when the cached set is older than `max_key_age_seconds` (so a key removed from the
JWKS stops working) — at most once per `min_refresh_seconds` (5 s after a failed fetch), so
a flood of forged kids cannot turn into a flood of JWKS fetches; callers that arrive during
a fetch wait for it.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import RSAAlgorithm

from common.errors import Forbidden, Unauthorized
from common.identity import ROLES
from common.identity import Principal as Principal  # re-exported: routes import it from here
from common.identity import Role as Role
from common.logging import get_logger

log = get_logger(__name__)

ALGORITHM = "RS256"
LEEWAY_SECONDS = 30  # clock skew tolerated on exp, nbf and iat
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600  # the auth service issues 15 minutes by default

KeySource = Callable[[], Awaitable[dict[str, Any]]]


def jwks_from_url(url: str, client: httpx.AsyncClient) -> KeySource:
    async def fetch() -> dict[str, Any]:
        response = await client.get(url, timeout=5.0)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    return fetch


def _rsa_signing_keys(jwks: dict[str, Any]) -> dict[str, RSAPublicKey]:
    """kid -> public key, keeping only RSA public keys meant for RS256 signatures.

    Keys are built once per fetch, not per verification: building an RSA key from the JWK's
    base64 numbers cost 3 % of the order API's CPU under load (docs/performance.md). A JWK
    that carries a private part is refused: a JWKS that leaks one is broken, not usable."""
    keys: dict[str, RSAPublicKey] = {}
    for k in jwks.get("keys", []):
        if not (
            isinstance(k, dict)
            and isinstance(k.get("kid"), str)
            and k.get("kty") == "RSA"
            and k.get("alg", ALGORITHM) == ALGORITHM
            and k.get("use", "sig") == "sig"
        ):
            continue
        try:
            key = RSAAlgorithm.from_jwk(k)
        except Exception as exc:  # one broken key must not take the others with it
            log.warning("ignoring unusable JWK %r: %s", k["kid"], exc)
            continue
        if isinstance(key, RSAPublicKey):
            keys[k["kid"]] = key
        else:
            log.warning("ignoring JWK %r: it holds a private key", k["kid"])
    return keys


class JwtVerifier:
    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        min_refresh_seconds: float = 30.0,
        max_key_age_seconds: float = 300.0,
        retry_failed_fetch_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = keys
        self._issuer = issuer
        self._audience = audience
        self._min_refresh = min_refresh_seconds
        self._max_age = max_key_age_seconds
        self._retry_failed = min(retry_failed_fetch_seconds, min_refresh_seconds)
        self._clock = clock
        self._wall_clock = wall_clock
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at = float("-inf")
        self._last_attempt = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0  # JWKS fetches attempted; observable by tests and metrics

    async def _refresh(self) -> None:
        if self._clock() - self._last_attempt < self._min_refresh:
            async with self._lock:  # a fetch may be in flight: wait for its result
                return
        self._last_attempt = self._clock()
        async with self._lock:
            self.fetches += 1
            try:
                jwks = await self._source()
            except Exception as exc:  # keep the keys we had: availability over freshness
                log.warning("could not fetch JWKS: %s", exc)
                # Retry sooner than after a success: auth may just be starting up.
                self._last_attempt -= self._min_refresh - self._retry_failed
                return
            self._keys = _rsa_signing_keys(jwks)
            self._fetched_at = self._clock()

    async def _key_for(self, kid: str) -> RSAPublicKey:
        if kid not in self._keys or self._clock() - self._fetched_at > self._max_age:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("unknown signing key")
        return key

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
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
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "nbf", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        self._check_times(claims)
        role = claims.get("role")
        if role not in ROLES:
            raise Unauthorized("token has no valid role")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthorized("token has no subject")
        return Principal(
            subject=subject,
            role=role,
            name=claims.get("name"),
            email=claims.get("email"),
            anonymous=bool(claims.get("anonymous", False)),
        )

    def _check_times(self, claims: dict[str, Any]) -> None:
        # PyJWT checks exp and nbf (and the type of iat); an overlong lifetime is ours to refuse,
        # and a future iat is refused here too, whatever the library's version does with it.
        # PyJWT takes a numeric string ("exp": "1767225600") through int(); RFC 7519 says
        # NumericDate, so a string is refused.
        iat, nbf, exp = claims["iat"], claims["nbf"], claims["exp"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, nbf, exp)):
            raise Unauthorized("invalid token: iat, nbf and exp must be numbers")
        if iat > self._wall_clock() + LEEWAY_SECONDS:
            raise Unauthorized("invalid token: issued in the future")
        if exp - iat > MAX_TOKEN_LIFETIME_SECONDS:
            raise Unauthorized("invalid token: lifetime too long")


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
