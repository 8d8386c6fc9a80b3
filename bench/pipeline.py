"""The pipeline: orders created at a fixed rate, paid by the simulator, moved by a kitchen bot.

Latencies come from the system's own records: `orders.created_at` and the status history
in Postgres, the ticket's `received_at` in DynamoDB (all clocks are this machine's).
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
import boto3
import httpx

from bench.floor import EMULATOR_KEYS
from bench.shop import Shop

NEXT_ACTIONS = ("started", "completed", "delivered")


@dataclass
class OrderTimes:
    created: datetime
    paid: datetime | None = None
    ticket: datetime | None = None
    delivered: datetime | None = None


@dataclass
class PipelineRun:
    submitted: int = 0
    rejected: int = 0
    order_ids: list[str] = field(default_factory=list)
    times: dict[str, OrderTimes] = field(default_factory=dict)
    kitchen_moves: int = 0
    kitchen_errors: int = 0


async def kitchen_bot(
    api: httpx.AsyncClient,
    shop: Shop,
    run: PipelineRun,
    stop: asyncio.Event,
    poll_seconds: float = 1.0,
) -> None:
    """Staff who start, complete and deliver every new ticket at once (an instant kitchen)."""
    taken: set[str] = set()
    tasks: set[asyncio.Task[None]] = set()

    async def cook(production_id: str) -> None:
        for action in NEXT_ACTIONS:
            response = await api.put(f"/production/{production_id}/{action}", headers=shop.staff)
            if response.status_code != 200:
                run.kitchen_errors += 1
                taken.discard(production_id)  # seen again on the next poll
                return
            run.kitchen_moves += 1

    while not stop.is_set():
        try:
            tickets = (await api.get("/production", headers=shop.staff)).json()
        except httpx.HTTPError:
            tickets = []
        for ticket in tickets:
            if ticket["status"] == "RECEIVED" and ticket["production_id"] not in taken:
                taken.add(ticket["production_id"])
                task = asyncio.ensure_future(cook(ticket["production_id"]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_seconds)
    await asyncio.gather(*tasks, return_exceptions=True)


async def place_at_rate(
    api: httpx.AsyncClient, shop: Shop, run: PipelineRun, count: int, rate: float
) -> None:
    """Open loop: order i leaves at start + i/rate whatever the previous answers took."""

    async def one(index: int) -> None:
        try:
            response = await api.post(
                "/order", json=shop.order_body(index), headers=shop.customer(index)
            )
        except httpx.HTTPError:
            run.rejected += 1
            return
        if response.status_code == 201:
            run.order_ids.append(response.json()["id"])
        else:
            run.rejected += 1

    start, sent = time.monotonic(), []
    for index in range(count):
        await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
        sent.append(asyncio.ensure_future(one(index)))
        run.submitted += 1
    await asyncio.gather(*sent)


async def delivered_count(conn: asyncpg.Connection, order_ids: list[str]) -> int:
    value = await conn.fetchval(
        "SELECT count(*) FROM orders WHERE id = ANY($1::uuid[]) AND status = 'DELIVERED'",
        order_ids,
    )
    return int(value)


async def collect_times(
    conn: asyncpg.Connection, order_ids: list[str], dynamo_url: str, tickets_table: str
) -> dict[str, OrderTimes]:
    times = {
        str(r["id"]): OrderTimes(r["created_at"])
        for r in await conn.fetch(
            "SELECT id, created_at FROM orders WHERE id = ANY($1::uuid[])", order_ids
        )
    }
    rows = await conn.fetch(
        "SELECT order_id, status, min(at) AS at FROM order_status_history "
        "WHERE order_id = ANY($1::uuid[]) AND status IN ('PAID', 'DELIVERED') "
        "GROUP BY order_id, status",
        order_ids,
    )
    for row in rows:
        entry = times[str(row["order_id"])]
        if row["status"] == "PAID":
            entry.paid = row["at"]
        else:
            entry.delivered = row["at"]
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=dynamo_url, region_name="us-east-1", **EMULATOR_KEYS
    )
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=tickets_table, ProjectionExpression="order_id, received_at"
    ):
        for item in page["Items"]:
            found = times.get(item["order_id"]["S"])
            if found is not None:
                found.ticket = datetime.fromisoformat(item["received_at"]["S"])
    return times
