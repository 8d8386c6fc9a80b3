"""Nothing acknowledged is lost when Postgres crashes (issue 14).

Orders flow through the real stack to DELIVERED while, at seeded random moments, Postgres is
stopped in immediate mode (a crash: no checkpoint, WAL replayed on start) and restarted, or
every backend connection is killed with `pg_terminate_backend`. Clients retry a 5xx with the
same Idempotency-Key, as a totem does. RELIABILITY_DB_ORDERS (default 100) and
RELIABILITY_SEED change the load and the fault timings.
"""

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from infra.local.stack import Stack
from tests.conftest import record_figure
from tests.reliability.harness import (
    Shop,
    count_by_order,
    dlq_depths,
    history_counts,
    kitchen_bot,
    open_shop,
    running,
    wait_until_final,
)
from tests.reliability.test_delivery_guarantees import SEED, start_stack

pytestmark = pytest.mark.reliability
ORDERS = int(os.environ.get("RELIABILITY_DB_ORDERS", "100"))
PACE_SECONDS = 0.12  # 100 orders arrive over ~12 s
Fault = Callable[[Stack, random.Random], Awaitable[None]]


@dataclass
class Clients:
    """What the totems saw: an order id per acknowledged order, every status answered."""

    accepted: dict[int, str] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    failures_at: list[float] = field(default_factory=list)  # monotonic time of each 5xx


async def place_retrying(api: httpx.AsyncClient, shop: Shop, clients: Clients, i: int) -> None:
    body = {
        "items": [
            {"product_id": shop.product_ids[0], "quantity": 1 + i % 3},
            {"product_id": shop.product_ids[1], "quantity": 1},
        ]
    }
    headers = shop.customers[i % len(shop.customers)] | {"Idempotency-Key": f"crash-{i}"}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        wait = 0.5
        try:
            response = await api.post("/order", json=body, headers=headers)
        except httpx.HTTPError:
            clients.statuses[0] += 1  # no answer at all
        else:
            clients.statuses[response.status_code] += 1
            if response.status_code >= 500:
                clients.failures_at.append(time.monotonic())
            if response.status_code in (200, 201):  # 200: a retry of an order already taken
                clients.accepted[i] = response.json()["id"]
                return
            wait = min(1.0, float(response.headers.get("retry-after", wait)))
        await asyncio.sleep(wait)


async def crash_postgres(stack: Stack, rng: random.Random) -> None:
    await asyncio.to_thread(stack.postgres.crash)
    await asyncio.sleep(rng.uniform(0.5, 2.5))
    await asyncio.to_thread(stack.postgres.start)  # replays the WAL, like a failover's promote


async def kill_backends(stack: Stack, _: random.Random) -> None:
    await stack.postgres.terminate_backends()


async def faults(
    stack: Stack, fault: Fault, rng: random.Random, gap: tuple[float, float], stop: asyncio.Event
) -> int:
    count = 0
    await asyncio.sleep(rng.uniform(0.5, 1.5))
    while not stop.is_set():
        await fault(stack, rng)
        count += 1
        await asyncio.sleep(rng.uniform(*gap))
    return count


def run_with_faults(name: str, fault: Fault, gap: tuple[float, float]) -> None:
    rng = random.Random(SEED)
    stack = start_stack(f"db-{name}", simulator_args=("--auto-approve-after", "0"))
    clients = Clients()

    async def scenario() -> tuple[int, dict[str, str]]:
        stop, bot_stop = asyncio.Event(), asyncio.Event()
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as api:
            shop = await open_shop(api)
            async with (
                running(faults(stack, fault, rng, gap, stop)) as chaos,
                running(kitchen_bot(api, shop, bot_stop)),
            ):
                semaphore = asyncio.Semaphore(8)

                async def one(i: int) -> None:
                    await asyncio.sleep(i * PACE_SECONDS)  # a steady flow across the faults
                    async with semaphore:
                        await place_retrying(api, shop, clients, i)

                await asyncio.gather(*(one(i) for i in range(ORDERS)))
                await asyncio.sleep(rng.uniform(3, 8))  # faults hit the pipeline too
                stop.set()
                outages = await chaos
                ids = list(clients.accepted.values())
                statuses = await wait_until_final(stack, ids, "DELIVERED", 120)
                bot_stop.set()
        return outages, statuses

    try:
        outages, statuses = asyncio.run(scenario())
        ids = list(clients.accepted.values())
        payments = count_by_order(stack, "payment-payments")
        tickets = count_by_order(stack, "production-tickets")
        delivered = asyncio.run(history_counts(stack, "DELIVERED"))
        duplicated = sum(1 for o in ids if payments[o] > 1 or tickets[o] > 1 or delivered[o] > 1)
        completed = sum(1 for o in ids if statuses[o] == "DELIVERED")
        server_errors = {code: n for code, n in clients.statuses.items() if code >= 500}
        record_figure(
            f"[reliability] Postgres {name} seed={SEED}: submitted={ORDERS} "
            f"accepted={len(ids)} completed={completed} lost={len(ids) - completed} "
            f"duplicated={duplicated} faults={outages} client_5xx={sum(server_errors.values())} "
            f"by_status={dict(sorted(server_errors.items()))} no_answer={clients.statuses[0]} "
            f"end_states={dict(Counter(statuses.values()))}"
        )
        assert outages >= 2
        assert len(ids) == ORDERS, "every order is acknowledged once Postgres is back"
        assert completed == len(ids), Counter(statuses.values())
        assert duplicated == 0
        assert set(server_errors) <= {503}, "a database outage is a 503, never a 500"
        assert set(dlq_depths(stack).values()) == {0}, "an outage is retried, never poison"
    finally:
        stack.stop()


def test_postgres_crashes_lose_no_acknowledged_order_or_delivery() -> None:
    run_with_faults("crash -m immediate", crash_postgres, gap=(2.0, 6.0))


def test_killed_backends_lose_nothing_and_the_pools_recover() -> None:
    run_with_faults("pg_terminate_backend", kill_backends, gap=(0.5, 2.5))
