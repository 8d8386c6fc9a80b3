"""Delivery guarantees proven on the real stack, each with its figures printed.

RELIABILITY_ORDERS (default 200) and RELIABILITY_SEED change the load and kill timings.
"""

import asyncio
import os
import random
import signal
import time
from collections import Counter

import boto3
import httpx
import pytest

from common.resources import load_resources
from infra.local.stack import Stack, StackPorts
from tests.conftest import ARTIFACTS, record_figure
from tests.reliability.harness import (
    ORDERS,
    ChaosProxy,
    count_by_order,
    dlq_depths,
    duplicating_pump,
    history_counts,
    kitchen_bot,
    open_shop,
    place_orders,
    report,
    running,
    wait_until_final,
)

pytestmark = pytest.mark.reliability
SEED = int(os.environ.get("RELIABILITY_SEED", str(int(time.time()))))
FAST = {"QUEUE_WAIT_SECONDS": "1", "RETRY_BASE_SECONDS": "0.5"}
RESOURCES = load_resources()
Q = RESOURCES.queues


def start_stack(name: str, **kwargs: object) -> Stack:
    stack = Stack(
        StackPorts.free(),
        ARTIFACTS / "logs" / "reliability" / name,
        extra_env={**FAST, **kwargs.pop("extra_env", {})},  # type: ignore[dict-item]
        **kwargs,
    )  # type: ignore[arg-type]
    stack.start()
    return stack


async def run_load(
    stack: Stack, count: int, expect: str = "DELIVERED", within: float = 600
) -> tuple[list[str], dict[str, str], Counter[str]]:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as api:
        shop = await open_shop(api)
        stop = asyncio.Event()
        async with running(kitchen_bot(api, shop, stop)) as bot:
            order_ids = await place_orders(api, shop, count)
            statuses = await wait_until_final(stack, order_ids, expect, within)
            stop.set()
            moves = await bot
    return order_ids, statuses, moves


def assert_exactly_once(
    stack: Stack, name: str, order_ids: list[str], statuses: dict[str, str], **figures: object
) -> None:
    payments = count_by_order(stack, "payment-payments")
    tickets = count_by_order(stack, "production-tickets")
    delivered_twice = [
        o for o, n in asyncio.run(history_counts(stack, "DELIVERED")).items() if n > 1
    ]
    report(name, order_ids, statuses, "DELIVERED", payments, tickets, **figures)
    assert all(statuses[o] == "DELIVERED" for o in order_ids), Counter(statuses.values())
    assert all(payments[o] == 1 for o in order_ids), "one payment per order"
    assert all(tickets[o] == 1 for o in order_ids), "one kitchen ticket per order"
    assert delivered_twice == [], "an order reached DELIVERED twice"
    assert set(dlq_depths(stack).values()) == {0}


def test_every_message_delivered_twice_has_one_effect() -> None:
    taps = {q: f"tap-{q}" for q in Q.values()}
    producers = {
        "order-worker": {
            "PAYMENT_QUEUE_NAME": taps[Q["payment"]],
            "PRODUCTION_QUEUE_NAME": taps[Q["production"]],
        },
        "payment-worker": {"ORDER_QUEUE_NAME": taps[Q["order"]]},
        "production-worker": {"ORDER_QUEUE_NAME": taps[Q["order"]]},
    }
    stack = start_stack(
        "duplicates",
        process_env=producers,
        simulator_args=("--auto-approve-after", "0", "--duplicate-webhooks"),
    )
    try:
        sqs = boto3.client("sqs", endpoint_url=stack.moto.url, region_name="us-east-1")
        for tap in taps.values():
            sqs.create_queue(QueueName=tap)
        copies: Counter[str] = Counter()

        async def scenario() -> tuple[list[str], dict[str, str], Counter[str]]:
            stop = asyncio.Event()
            pump = {tap: real for real, tap in taps.items()}
            async with running(duplicating_pump(stack.moto.url, pump, stop, copies)):
                result = await run_load(stack, ORDERS)
                stop.set()
            return result

        order_ids, statuses, _ = asyncio.run(scenario())
        assert copies["copy2"] >= 5 * ORDERS  # 5 queue hops per order, each sent twice
        assert_exactly_once(
            stack, "every message twice", order_ids, statuses, messages_sent_twice=copies["copy2"]
        )
    finally:
        stack.stop()


def graceful_stop(stack: Stack, name: str) -> float:
    """SIGTERM one worker and return how long it took to exit."""
    began = time.monotonic()
    stack.kill(name, signal.SIGTERM)
    stack.processes[name].wait(timeout=RESOURCES.visibility_timeout_seconds + 5)
    return round(time.monotonic() - began, 2)


def test_workers_killed_at_random_moments_lose_and_double_nothing() -> None:
    rng = random.Random(SEED)
    stack = start_stack("sigkill", simulator_args=("--auto-approve-after", "0"))
    victims = ["order-worker", "payment-worker", "production-worker"]
    kills: Counter[str] = Counter()
    exits: dict[str, float] = {}

    async def chaos(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(1.0, 6.0))
            victim = rng.choice(victims)
            stack.kill(victim, signal.SIGKILL)
            kills[victim] += 1
            await asyncio.sleep(rng.uniform(0.1, 2.0))
            stack.restart(victim)

    async def scenario() -> tuple[list[str], dict[str, str], Counter[str]]:
        stop, bot_stop = asyncio.Event(), asyncio.Event()
        async with (
            running(chaos(stop)) as killer,
            httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as api,
        ):
            shop = await open_shop(api)
            async with running(kitchen_bot(api, shop, bot_stop)):
                order_ids = await place_orders(api, shop, ORDERS)
                await asyncio.sleep(5)
                stop.set()
                await killer
                for victim in victims:  # graceful: SIGTERM mid-flow, as ECS stops a task
                    exits[victim] = await asyncio.to_thread(graceful_stop, stack, victim)
                    stack.restart(victim)
                statuses = await wait_until_final(stack, order_ids, "DELIVERED", 600)
                bot_stop.set()
        return order_ids, statuses, kills

    try:
        order_ids, statuses, _ = asyncio.run(scenario())
        assert sum(kills.values()) >= 2
        assert_exactly_once(
            stack,
            f"SIGKILL seed={SEED}",
            order_ids,
            statuses,
            kills=dict(kills),
            sigterm_exit_s=exits,
        )
        assert all(seconds < RESOURCES.visibility_timeout_seconds for seconds in exits.values())
    finally:
        stack.stop()


def test_orders_are_accepted_while_sqs_is_down_and_published_when_it_returns() -> None:
    proxy = ChaosProxy(0)

    async def scenario(stack: Stack) -> tuple[list[str], dict[str, str], int]:
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as api:
            shop = await open_shop(api)
            proxy.take_down()
            down_since = time.monotonic()
            order_ids = await place_orders(api, shop, min(ORDERS, 50))
            await asyncio.sleep(5)  # the relay keeps failing meanwhile
            statuses = await wait_until_final(stack, order_ids, "PAID", 0)
            assert set(statuses.values()) == {"AWAITING_PAYMENT"}
            proxy.bring_up()
            outage = int(time.monotonic() - down_since)
            statuses = await wait_until_final(stack, order_ids, "PAID", 300)
        return order_ids, statuses, outage

    async def main() -> tuple[list[str], dict[str, str], int]:
        await proxy.start()
        stack = Stack(
            StackPorts.free(),
            ARTIFACTS / "logs" / "reliability" / "sqs-outage",
            extra_env=FAST,
            simulator_args=("--auto-approve-after", "0"),
        )
        stack.process_env = {"order-worker": {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"}}
        proxy.upstream_port = stack.ports.moto
        await asyncio.to_thread(stack.start)
        try:
            return await scenario(stack)
        finally:
            await asyncio.to_thread(stack.stop)
            await proxy.stop()

    order_ids, statuses, outage = asyncio.run(main())
    paid = sum(1 for s in statuses.values() if s == "PAID")
    record_figure(
        f"[reliability] SQS outage: submitted={len(order_ids)} accepted={len(order_ids)} "
        f"paid_after_recovery={paid} lost={len(order_ids) - paid} outage_s={outage}"
    )
    assert paid == len(order_ids)
