"""Pruning against real Postgres (order migrations) and the moto server: old rows go,
recent and unsent rows stay, and one run deletes no more than its bound."""

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from common.db import make_session_factory
from common.dynamo import to_item
from common.pruning import DynamoInboxPruner, PostgresPruner
from infra.local.postgres import LocalPostgres
from order import repository
from order.main import migrate
from order.settings import Settings
from tests.conftest import AwsResources, fresh_database

NOW = datetime.now(UTC)


@pytest.fixture
async def engine(postgres: LocalPostgres) -> AsyncIterator[AsyncEngine]:
    url = await fresh_database(postgres, "order")
    migrate(Settings(database_url=url))
    engine = create_async_engine(url)
    yield engine
    await engine.dispose()


def outbox_row(sent_at: datetime | None, created_at: datetime) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "destination": "payment",
        "event_name": "order-created",
        "body": "{}",
        "created_at": created_at,
        "sent_at": sent_at,
    }


async def seed(engine: AsyncEngine) -> None:
    old, recent = NOW - timedelta(days=3), NOW - timedelta(minutes=5)
    rows = (
        [outbox_row(old, old) for _ in range(5)]  # sent 3 days ago: prunable
        + [outbox_row(recent, recent)]  # sent 5 minutes ago: kept for a day
        + [outbox_row(None, old)]  # never sent (SQS down for days): must stay
    )
    inbox = [
        {"event_id": uuid.uuid4(), "event_name": "x", "processed_at": NOW - timedelta(days=15)}
        for _ in range(5)
    ] + [{"event_id": uuid.uuid4(), "event_name": "x", "processed_at": NOW - timedelta(days=13)}]
    async with engine.begin() as connection:
        await connection.execute(insert(repository.outbox), rows)
        await connection.execute(insert(repository.inbox), inbox)


async def counts(engine: AsyncEngine) -> dict[str, Any]:
    o, i = repository.outbox, repository.inbox
    async with engine.connect() as connection:
        return {
            "sent": await connection.scalar(
                select(func.count()).select_from(o).where(o.c.sent_at.is_not(None))
            ),
            "unsent": await connection.scalar(
                select(func.count()).select_from(o).where(o.c.sent_at.is_(None))
            ),
            "inbox": await connection.scalar(select(func.count()).select_from(i)),
        }


async def test_postgres_prunes_old_sent_outbox_and_old_inbox_in_bounded_batches(
    engine: AsyncEngine,
) -> None:
    await seed(engine)
    pruner = PostgresPruner(
        make_session_factory(engine),
        repository.outbox,
        repository.inbox,
        outbox_retention_seconds=24 * 3600,
        interval_seconds=3600,
        batch_size=2,
        max_batches=2,
    )

    first = await pruner.prune_once()
    second = await pruner.prune_once()

    assert first == {"outbox": 4, "inbox": 4}  # bounded: 2 batches of 2
    assert second == {"outbox": 1, "inbox": 1}
    assert await pruner.prune_once() == {"outbox": 0, "inbox": 0}
    # the recent sent row, the unsent row and the 13-day-old inbox row remain
    assert await counts(engine) == {"sent": 1, "unsent": 1, "inbox": 1}


async def test_dynamo_inbox_pruner_deletes_expired_items_only(
    aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    dynamodb = aio_clients["dynamodb"]
    table = aws.tables["payment-inbox"]
    now = int(time.time())
    expired = [f"old-{n}" for n in range(30)]
    live = [f"new-{n}" for n in range(5)]
    for event_id, expires_at in [(e, now - 60) for e in expired] + [(e, now + 3600) for e in live]:
        await dynamodb.put_item(
            TableName=table,
            Item=to_item({"event_id": event_id, "event_name": "x", "expires_at": expires_at}),
        )
    pruner = DynamoInboxPruner(dynamodb, table, interval_seconds=3600, page_size=10, max_pages=2)

    runs = [await pruner.prune_once() for _ in range(4)]

    scanned_per_run = 20  # max_pages * page_size: each run reads at most this many items
    assert all(run["inbox"] <= scanned_per_run for run in runs)
    assert sum(run["inbox"] for run in runs) == len(expired)
    left = await dynamodb.scan(TableName=table, ConsistentRead=True)
    assert sorted(i["event_id"]["S"] for i in left["Items"]) == sorted(live)
