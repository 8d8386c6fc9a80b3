"""Keep the outbox and inbox small: delete what can no longer matter, on a schedule.

Postgres: sent outbox rows older than `outbox_retention_seconds` (kept a while for
debugging) and inbox rows older than `INBOX_RETENTION_SECONDS` (14 days: longer than SQS
can redeliver a message, so a duplicate is still caught). DynamoDB: the relay already
deletes an outbox item once SQS accepted it, so only the inbox grows. Its items carry a TTL
attribute (`expires_at`), which AWS deletes for free but only "within a few days", and moto
never does; so the same sweep also prunes it explicitly, a page at a time. On AWS that sweep
reads each inbox item about once per round of pages (≈ 140,000 items at 10,000 orders a day,
a few thousand read units: fractions of a cent).

Every run deletes at most `batch_size * max_batches` rows per table, so a backlog (the first
run on a year of data) is worked off over several runs without one long transaction or lock.
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, any_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.dynamo import INBOX_RETENTION_SECONDS, to_item
from common.logging import get_logger
from common.settings import ServiceSettings
from common.worker import idle

log = get_logger(__name__)


class PostgresPruner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        inbox: Table,
        *,
        outbox_retention_seconds: float,
        interval_seconds: float,
        batch_size: int = 1000,
        max_batches: int = 10,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._inbox = inbox
        self._outbox_retention = timedelta(seconds=outbox_retention_seconds)
        self._interval = interval_seconds
        self._batch_size = batch_size
        self._max_batches = max_batches

    async def run(self, stop: asyncio.Event) -> None:
        await run_on_schedule(stop, self.prune_once, self._interval)

    async def prune_once(self) -> dict[str, int]:
        """Delete one bounded run's worth of old rows; returns how many per table."""
        now = datetime.now(UTC)
        o, i = self._outbox, self._inbox
        sent_before = now - self._outbox_retention
        seen_before = now - timedelta(seconds=INBOX_RETENTION_SECONDS)
        return {
            "outbox": await self._delete_batches(
                o, o.c.id, o.c.sent_at.is_not(None) & (o.c.sent_at < sent_before)
            ),
            "inbox": await self._delete_batches(i, i.c.event_id, i.c.processed_at < seen_before),
        }

    async def _delete_batches(self, table: Table, key: Any, condition: Any) -> int:
        # DELETE ... WHERE key = ANY(ARRAY(SELECT key ... LIMIT n)): Postgres has no DELETE
        # ... LIMIT, and `key IN (subquery)` plans as a hash join over the whole table (6,000
        # pages at a year's size) where ANY(ARRAY) probes the primary key per chosen row.
        # Each batch is its own short transaction; SKIP LOCKED leaves rows a relay holds.
        chosen = func.array(
            select(key)
            .where(condition)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        total = 0
        for _ in range(self._max_batches):
            async with self._sessions() as session, session.begin():
                result = await session.execute(delete(table).where(key == any_(chosen)))
                deleted = int(result.rowcount)  # type: ignore[attr-defined]
            total += deleted
            if deleted < self._batch_size:
                break
        return total


class DynamoInboxPruner:
    """Scans the inbox a page at a time (resuming where the last run stopped) and deletes
    items whose `expires_at` has passed."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        *,
        interval_seconds: float,
        page_size: int = 500,
        max_pages: int = 10,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._interval = interval_seconds
        self._page_size = page_size
        self._max_pages = max_pages
        self._resume_from: dict[str, Any] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        await run_on_schedule(stop, self.prune_once, self._interval)

    async def prune_once(self) -> dict[str, int]:
        deleted = 0
        for _ in range(self._max_pages):
            page = await self._dynamodb.scan(**self._scan_arguments())
            keys = [{"event_id": item["event_id"]} for item in page.get("Items", [])]
            for start in range(0, len(keys), 25):  # BatchWriteItem's limit
                deleted += await self._delete(keys[start : start + 25])
            self._resume_from = page.get("LastEvaluatedKey")
            if self._resume_from is None:  # a full round done: the next run starts over
                break
        return {"inbox": deleted}

    def _scan_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Limit": self._page_size,
            "ProjectionExpression": "event_id",
            "FilterExpression": "expires_at < :now",
            "ExpressionAttributeValues": to_item({":now": int(time.time())}),
        }
        if self._resume_from is not None:
            arguments["ExclusiveStartKey"] = self._resume_from
        return arguments

    async def _delete(self, keys: list[dict[str, Any]]) -> int:
        response = await self._dynamodb.batch_write_item(
            RequestItems={self._table: [{"DeleteRequest": {"Key": key}} for key in keys]}
        )
        # Unprocessed deletes (throttling) are simply found again by a later round.
        return len(keys) - len(response.get("UnprocessedItems", {}).get(self._table, []))


async def run_on_schedule(stop: asyncio.Event, prune: Any, interval_seconds: float) -> None:
    """Prune at start, then every `interval_seconds`; a failed run is retried next time."""
    while not stop.is_set():
        try:
            counts = await prune()
        except Exception as exc:
            log.warning("pruning failed, will retry next run: %s", exc)
        else:
            if any(counts.values()):
                log.info("pruned old rows", extra={"deleted": counts})
        await idle(stop, interval_seconds)


def postgres_pruner(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Table,
    inbox: Table,
    settings: ServiceSettings,
) -> PostgresPruner:
    return PostgresPruner(
        sessions,
        outbox,
        inbox,
        outbox_retention_seconds=settings.outbox_retention_seconds,
        interval_seconds=settings.prune_interval_seconds,
    )


def dynamo_inbox_pruner(dynamodb: Any, table: str, settings: ServiceSettings) -> DynamoInboxPruner:
    return DynamoInboxPruner(dynamodb, table, interval_seconds=settings.prune_interval_seconds)
