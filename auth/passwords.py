"""Argon2id password hashing behind the `PasswordHasher` port (see auth.service).

Hashing costs tens of milliseconds of CPU and memory by design, so it runs in a worker
thread: the event loop keeps serving other requests meanwhile.
"""

import asyncio
import secrets

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, hasher: Argon2 | None = None) -> None:
        self._argon2 = hasher or Argon2()  # library defaults follow RFC 9106 guidance
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            # Same parameters, same cost as a real account; the result is thrown away.
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
            await self._check(self._dummy_hash, password)
            return False
        return await self._check(password_hash, password)

    async def _check(self, password_hash: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._argon2.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)
