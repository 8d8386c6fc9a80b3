"""One order's timeline across the services: `make trace ORDER=<id>`.

    python -m infra.ops.trace <order_id> [--json]

Reads the order's status history (Postgres, order database), its payment (DynamoDB, GSI
`order_id-index` of the payments table) and its kitchen ticket (DynamoDB), and prints every
step in time order with the time since the order was created and since the step before:

    created → payment created +0.4 s → payment approved +3.1 s → paid +0.2 s → …

The correlation id printed is also the trace id of the order's spans (common.tracing), so
it finds the order's log lines and its trace. Configured like the services: DB_HOST,
DB_PORT, DB_USER, DB_PASSWORD (or ORDER_DATABASE_URL), AWS_ENDPOINT_URL (or
AWS_ENDPOINT_URL_DYNAMODB) for the local stack,
PAYMENT_PAYMENTS_TABLE / PRODUCTION_TICKETS_TABLE when the tables are renamed.
"""

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any
from uuid import UUID

import boto3
from boto3.dynamodb.conditions import Key
from sqlalchemy import select

from common.aws import endpoint_url
from common.db import make_engine, make_session_factory
from common.resources import load_resources
from order import repository as order_repo
from order.settings import Settings as OrderSettings

INDEX = "order_id-index"


@dataclass(frozen=True)
class Step:
    at: datetime
    service: str
    what: str


async def order_steps(order_id: UUID) -> tuple[dict[str, Any] | None, list[Step], str | None]:
    engine = make_engine(OrderSettings().sqlalchemy_url("order"), pool_size=1)
    try:
        async with make_session_factory(engine)() as session:
            order = await order_repo.get_order(session, order_id)
            history = await order_repo.history_of(session, order_id)
            correlation = (
                await session.execute(
                    select(order_repo.outbox.c.correlation_id)
                    .where(order_repo.outbox.c.body.contains(str(order_id)))
                    .order_by(order_repo.outbox.c.id)
                    .limit(1)
                )
            ).scalar_one_or_none()
    finally:
        await engine.dispose()
    names = {"AWAITING_PAYMENT": "created (awaiting payment)"}
    steps = [
        Step(row["at"], "order", names.get(row["status"], row["status"].lower().replace("_", " ")))
        for row in history
    ]
    return order, steps, correlation


def _dynamodb() -> Any:
    return boto3.resource(
        "dynamodb",
        # AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL; empty on AWS: the real one
        endpoint_url=endpoint_url("dynamodb", os.environ.get("AWS_ENDPOINT_URL")),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )


def _items_of(table_name: str, order_id: UUID) -> list[dict[str, Any]]:
    table = _dynamodb().Table(table_name)
    response = table.query(
        IndexName=INDEX, KeyConditionExpression=Key("order_id").eq(str(order_id))
    )
    items: list[dict[str, Any]] = response.get("Items", [])
    return items


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def payment_steps(order_id: UUID) -> list[Step]:
    table = os.environ.get(
        "PAYMENT_PAYMENTS_TABLE", load_resources().table("payment-payments").name
    )
    steps: list[Step] = []
    for item in _items_of(table, order_id):
        pid, status = item["payment_id"], item["status"].lower()
        moments = [
            ("created_at", f"payment {pid} created"),
            ("approved_at", f"payment {pid} approved"),
        ]
        if not item.get("approved_at") and status not in ("pending", "in_process", "authorized"):
            moments.append(("updated_at", f"payment {pid} {status}"))  # rejected, cancelled...
        steps += [
            Step(at, "payment", what) for key, what in moments if (at := _when(item.get(key)))
        ]
    return steps


def ticket_steps(order_id: UUID) -> list[Step]:
    table = os.environ.get(
        "PRODUCTION_TICKETS_TABLE", load_resources().table("production-tickets").name
    )
    labels = {
        "received_at": "kitchen ticket received",
        "started_at": "kitchen started",
        "completed_at": "kitchen completed",
        "delivered_at": "ticket delivered",
        "cancelled_at": "ticket cancelled",
    }
    return [
        Step(when, "production", label)
        for item in _items_of(table, order_id)
        for field, label in labels.items()
        if (when := _when(item.get(field))) is not None
    ]


def render(order: dict[str, Any], steps: list[Step], correlation: str | None) -> str:
    lines = [
        f"order {order['display_number']}  {order['id']}  {order['status']}  "
        f"total R$ {order['total']}",
        f"correlation id / trace id: {correlation or 'unknown'}",
    ]
    start = prev = steps[0].at if steps else None
    for step in steps:
        assert start is not None and prev is not None
        since_start = (step.at - start).total_seconds()
        delta = (step.at - prev).total_seconds()
        lines.append(
            f"  {step.at.astimezone(UTC):%H:%M:%S.%f}"[:-3]
            + f" UTC {since_start:>8.1f} s {delta:>+8.1f} s  {step.service:<10} {step.what}"
        )
        prev = step.at
    lines.append("  " + " → ".join(_arrow(steps)))
    return "\n".join(lines)


def _arrow(steps: list[Step]) -> list[str]:
    out = [steps[0].what] if steps else []
    for before, step in pairwise(steps):
        out.append(f"{step.what} +{(step.at - before.at).total_seconds():.1f} s")
    return out


async def timeline(order_id: UUID) -> tuple[dict[str, Any] | None, list[Step], str | None]:
    order, steps, correlation = await order_steps(order_id)
    steps += payment_steps(order_id) + ticket_steps(order_id)
    return order, sorted(steps, key=lambda s: s.at), correlation


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("order_id", type=UUID)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    order, steps, correlation = asyncio.run(timeline(args.order_id))
    if order is None:
        sys.exit(f"order {args.order_id} not found")
    if args.json:
        print(
            json.dumps(
                {
                    "order": order,
                    "correlation_id": correlation,
                    "steps": [asdict(s) for s in steps],
                },
                default=str,
            )
        )
    else:
        print(render(order, steps, correlation))


if __name__ == "__main__":
    main()
