"""Load, fault and bookkeeping helpers shared by the reliability tests.

Everything runs against the real embedded stack (Postgres + moto + the five services);
faults are injected from outside the services: a pump that delivers every message twice,
a TCP proxy that takes SQS away, SIGKILL of worker processes.
"""

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aioboto3
import asyncpg
import boto3
import httpx

from common.resources import load_resources
from infra.local.demo import DEMO_PRODUCTS, LOCAL_STAFF
from infra.local.stack import Stack
from tests.conftest import record_figure

ORDERS = int(os.environ.get("RELIABILITY_ORDERS", "200"))
FINAL = {"DELIVERED", "CANCELLED"}


@dataclass
class Shop:
    """A staff token, the two demo products and a few customer tokens."""

    staff: dict[str, str]
    product_ids: list[str]
    customers: list[dict[str, str]] = field(default_factory=list)


async def open_shop(api: httpx.AsyncClient, customers: int = 5) -> Shop:
    username, password = LOCAL_STAFF
    login = await api.post("/auth/staff/login", json={"username": username, "password": password})
    staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = {p["name"]: p for p in (await api.get("/catalog/products")).json()}
    ids = []
    for spec in DEMO_PRODUCTS:
        product = (
            listed.get(spec["name"])
            or (await api.post("/catalog/products", json=spec, headers=staff)).json()
        )
        ids.append(product["id"])
    shop = Shop(staff, ids)
    for _ in range(customers):
        token = (await api.post("/auth/token/anonymous")).json()["access_token"]
        shop.customers.append({"Authorization": f"Bearer {token}"})
    return shop


async def place_orders(
    api: httpx.AsyncClient, shop: Shop, count: int, concurrency: int = 8
) -> list[str]:
    """Create `count` orders (each accepted exactly once: Idempotency-Key on retries)."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        body = {
            "items": [
                {"product_id": shop.product_ids[0], "quantity": 1 + i % 3},
                {"product_id": shop.product_ids[1], "quantity": 1},
            ]
        }
        headers = shop.customers[i % len(shop.customers)] | {"Idempotency-Key": f"load-{i}"}
        async with semaphore:
            for _ in range(5):
                response = await api.post("/order", json=body, headers=headers)
                if response.status_code in (200, 201):
                    order_id: str = response.json()["id"]
                    return order_id
                await asyncio.sleep(0.5)
        raise AssertionError(f"order {i} not accepted: {response.status_code} {response.text}")

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def kitchen_bot(api: httpx.AsyncClient, shop: Shop, stop: asyncio.Event) -> Counter[str]:
    """Staff moving every ticket started → completed → delivered, as fast as they appear."""
    moves: Counter[str] = Counter()
    step = {"RECEIVED": "started", "IN_PREPARATION": "completed", "READY": "delivered"}
    while not stop.is_set():
        try:
            tickets = (await api.get("/production", headers=shop.staff)).json()
            for ticket in tickets:
                action = step.get(ticket["status"])
                if action:
                    response = await api.put(
                        f"/production/{ticket['production_id']}/{action}", headers=shop.staff
                    )
                    moves[f"{action}:{response.status_code}"] += 1
        except httpx.HTTPError:
            moves["http_error"] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.3)
    return moves


async def order_statuses(stack: Stack) -> dict[str, str]:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=stack.ports.postgres, user="app", database="order"
    )
    try:
        rows = await conn.fetch("SELECT id::text, status FROM orders")
        return {r["id"]: r["status"] for r in rows}
    finally:
        await conn.close()


async def history_counts(stack: Stack, status: str) -> Counter[str]:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=stack.ports.postgres, user="app", database="order"
    )
    try:
        rows = await conn.fetch(
            "SELECT order_id::text AS id, count(*) AS n FROM "
            "order_status_history WHERE status = $1 GROUP BY order_id",
            status,
        )
        return Counter({r["id"]: int(r["n"]) for r in rows})
    finally:
        await conn.close()


async def wait_until_final(
    stack: Stack, order_ids: list[str], expect: str, within: float
) -> dict[str, str]:
    deadline = time.monotonic() + within
    while True:
        statuses = await order_statuses(stack)
        if all(statuses.get(o) == expect for o in order_ids) or time.monotonic() > deadline:
            return {o: statuses.get(o, "MISSING") for o in order_ids}
        await asyncio.sleep(1)


def count_by_order(stack: Stack, table: str) -> Counter[str]:
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.moto.url, region_name="us-east-1")
    counts: Counter[str] = Counter()
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            counts[item["order_id"]["S"]] += 1
    return counts


def dlq_depths(stack: Stack) -> dict[str, int]:
    sqs = boto3.client("sqs", endpoint_url=stack.moto.url, region_name="us-east-1")
    resources = load_resources()
    depths = {}
    for queue in resources.queues.values():
        url = sqs.get_queue_url(QueueName=resources.dlq_name(queue))["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        depths[queue] = int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )
    return depths


def report(
    name: str,
    order_ids: list[str],
    statuses: dict[str, str],
    expect: str,
    payments: Counter[str],
    tickets: Counter[str],
    **extra: Any,
) -> str:
    completed = sum(1 for o in order_ids if statuses[o] == expect)
    doubled = sum(1 for o in order_ids if payments[o] > 1 or tickets[o] > 1)
    lost = sum(1 for o in order_ids if statuses[o] == "MISSING")
    figures = {
        "submitted": len(order_ids),
        "completed": completed,
        "duplicated": doubled,
        "lost": lost,
        "stuck": len(order_ids) - completed - lost,
        **extra,
    }
    line = f"[reliability] {name}: " + " ".join(f"{k}={v}" for k, v in figures.items())
    record_figure(line)
    return line


@contextlib.asynccontextmanager
async def running(coroutine: Any) -> AsyncIterator[asyncio.Task[Any]]:
    task = asyncio.ensure_future(coroutine)
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        elif not task.cancelled() and task.exception() is not None:
            raise RuntimeError("a background helper of the test crashed") from task.exception()


async def duplicating_pump(
    endpoint: str, taps: dict[str, str], stop: asyncio.Event, counter: Counter[str]
) -> None:
    """Move every message from each tap queue to its real queue, sending it twice."""
    session = aioboto3.Session(region_name="us-east-1")
    async with session.client("sqs", endpoint_url=endpoint) as sqs:
        urls = {}
        for tap, target in taps.items():
            urls[tap] = (
                (await sqs.get_queue_url(QueueName=tap))["QueueUrl"],
                (await sqs.get_queue_url(QueueName=target))["QueueUrl"],
            )

        async def pump(tap_url: str, target_url: str) -> None:
            while not stop.is_set():
                try:
                    await pump_batch(tap_url, target_url)
                except Exception:  # an emulator hiccup must not silently stop the pump
                    counter["pump_errors"] += 1
                    await asyncio.sleep(0.5)

        async def pump_batch(tap_url: str, target_url: str) -> None:
            response = await sqs.receive_message(
                QueueUrl=tap_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            for copy in (1, 2):
                for message in batch:
                    await sqs.send_message(
                        QueueUrl=target_url,
                        MessageBody=message["Body"],
                        MessageAttributes=message.get("MessageAttributes", {}),
                    )
                    counter[f"copy{copy}"] += 1
            for message in batch:
                await sqs.delete_message(QueueUrl=tap_url, ReceiptHandle=message["ReceiptHandle"])

        await asyncio.gather(*(pump(*pair) for pair in urls.values()))


class ChaosProxy:
    """A TCP proxy in front of the AWS emulator that can drop and refuse connections."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.up = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def take_down(self) -> None:
        self.up = False
        for writer in list(self._writers):
            writer.close()

    def bring_up(self) -> None:
        self.up = True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if not self.up:
                        break
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            self.take_down()
            await self._server.wait_closed()
