"""Throttling of credential guessing: staff logins per IP and per account, customer look-ups
(identify and register, which reveal whether a CPF is known) per IP.

Sliding windows counted in Postgres (`AuthRepository.hit_attempt`), so the limits hold
across every instance of the service and survive restarts — an in-process counter would
give an attacker N times the budget behind N tasks. API Gateway's throttling backs this up
on AWS. A refused attempt answers 429 with `Retry-After`.

Per-account limits lock an account out for at most one window whoever guesses, which is
the price of stopping distributed guessing; the admin CLI is not throttled.
"""

import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from common.errors import TooManyRequests
from common.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Rule:
    limit: int
    window_seconds: int

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)


class AttemptStore(Protocol):
    async def hit_attempt(
        self, bucket: str, *, limit: int, window: timedelta, now: datetime, keep: timedelta
    ) -> float | None: ...

    async def clear_attempts(self, bucket: str) -> None: ...


class Throttle:
    def __init__(
        self,
        store: AttemptStore,
        *,
        login_per_ip: Rule,
        login_per_account: Rule,
        lookup_per_ip: Rule,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self.login_per_ip = login_per_ip
        self.login_per_account = login_per_account
        self.lookup_per_ip = lookup_per_ip
        self._clock = clock
        self._keep = max(r.window for r in (login_per_ip, login_per_account, lookup_per_ip))

    async def _hit(self, bucket: str, rule: Rule) -> None:
        retry_after = await self._store.hit_attempt(
            bucket, limit=rule.limit, window=rule.window, now=self._clock(), keep=self._keep
        )
        if retry_after is not None:
            log.warning("attempt throttled", extra={"bucket": bucket.split(":", 1)[0]})
            raise TooManyRequests(
                "too many attempts; try again later",
                headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
            )

    async def staff_login(self, client_ip: str, username: str) -> None:
        """Count a login attempt; raises TooManyRequests when the IP or account is over."""
        await self._hit(f"login-ip:{client_ip}", self.login_per_ip)
        await self._hit(f"login-account:{username}", self.login_per_account)

    async def staff_login_succeeded(self, username: str) -> None:
        """A right password forgives the account's earlier failures (not the IP's)."""
        await self._store.clear_attempts(f"login-account:{username}")

    async def customer_lookup(self, client_ip: str) -> None:
        await self._hit(f"lookup-ip:{client_ip}", self.lookup_per_ip)


class InMemoryAttemptStore:
    """The same sliding log in process memory: unit tests, and a single local instance."""

    def __init__(self) -> None:
        self._log: dict[str, deque[datetime]] = defaultdict(deque)

    async def hit_attempt(
        self, bucket: str, *, limit: int, window: timedelta, now: datetime, keep: timedelta
    ) -> float | None:
        entries = self._log[bucket]
        while entries and entries[0] <= now - window:
            entries.popleft()
        if len(entries) >= limit:
            return (entries[0] + window - now).total_seconds()
        entries.append(now)
        return None

    async def clear_attempts(self, bucket: str) -> None:
        self._log.pop(bucket, None)
