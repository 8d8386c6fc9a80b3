"""A bounded HTTP load generator (httpx on asyncio, loopback only).

Closed loop: `concurrency` workers each send their next request as soon as the previous one
answered, until `requests` were sent. The caller runs a warm-up loop of the same shape first
and does not count it (connection pools, imports, Postgres plans).
"""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench.stats import Latency, per_second

SendRequest = Callable[[int], Awaitable[httpx.Response]]


@dataclass
class LoadResult:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok

    @property
    def throughput(self) -> float:
        return per_second(self.ok, self.seconds)

    @property
    def latency(self) -> Latency:
        return Latency.of(self.latencies)

    def merge(self, other: "LoadResult") -> "LoadResult":
        return LoadResult(
            self.name,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.statuses + other.statuses,
        )


async def closed_loop(
    name: str,
    send: SendRequest,
    *,
    concurrency: int,
    requests: int,
    ok_statuses: frozenset[int] = frozenset({200, 201}),
) -> LoadResult:
    """Send `requests` requests from `concurrency` workers; only 2xx in `ok_statuses` count."""
    result = LoadResult(name)
    next_index = iter(range(requests))

    async def worker() -> None:
        for index in next_index:  # one shared iterator: the loop is bounded by `requests`
            started = time.perf_counter()
            try:
                response = await send(index)
            except httpx.HTTPError as exc:
                result.statuses[type(exc).__name__] += 1
                continue
            elapsed = time.perf_counter() - started
            result.statuses[str(response.status_code)] += 1
            if response.status_code in ok_statuses:
                result.latencies.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result
