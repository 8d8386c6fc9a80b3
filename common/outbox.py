"""Transactional outbox and inbox for Postgres-backed services.

`add_to_outbox` writes the event rows in the caller's transaction, next to the state
change. `OutboxRelay` claims pending rows with FOR UPDATE SKIP LOCKED (several relays may
run), publishes them in SQS batches, marks them sent, and on failure pushes the row's next
attempt out with exponential backoff, so nothing is lost while SQS is down.
`claim_inbox` makes a consumer idempotent: it returns False for an event id already seen.
"""

import asyncio
import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.trace import StatusCode
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import metrics
from common.events import DESTINATIONS, Envelope
from common.logging import get_logger
from common.messaging import OutgoingMessage, SqsPublisher, backoff_seconds
from common.settings import ServiceSettings
from common.tracing import format_traceparent, start_publish_span, traceparent_for_event
from common.worker import idle

log = get_logger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", PgUUID(as_uuid=True), nullable=False),
        Column("destination", String(32), nullable=False),
        Column("event_name", String(64), nullable=False),
        Column("correlation_id", String(64)),
        Column("traceparent", String(64)),  # W3C trace context of the change that staged it
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column(
            "next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()
        ),
        Column("sent_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Index("ix_outbox_pending", "next_attempt_at", postgresql_where=text("sent_at IS NULL")),
        Index("ux_outbox_event_destination", "event_id", "destination", unique=True),
        # The pruner's range (common/pruning.py); partial, so pending rows cost it nothing.
        Index("ix_outbox_sent_at", "sent_at", postgresql_where=text("sent_at IS NOT NULL")),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("event_id", PgUUID(as_uuid=True), primary_key=True),
        Column("event_name", String(64), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_inbox_processed_at", "processed_at"),  # the pruner's range
    )


async def add_to_outbox(session: AsyncSession, outbox: Table, envelope: Envelope[Any]) -> None:
    """Stage an event for every queue that receives it, inside the caller's transaction."""
    body = envelope.to_json()
    traceparent = traceparent_for_event(envelope.meta.correlation_id, envelope.meta.event_name)
    await session.execute(
        outbox.insert(),
        [
            {
                "event_id": envelope.meta.event_id,
                "destination": destination,
                "event_name": envelope.meta.event_name,
                "correlation_id": str(envelope.meta.correlation_id),
                "traceparent": traceparent,
                "body": body,
            }
            for destination in DESTINATIONS[envelope.meta.event_name]
        ],
    )


async def claim_inbox(session: AsyncSession, inbox: Table, envelope: Envelope[Any]) -> bool:
    """Record the event as processed in this transaction; False if it already was."""
    result = await session.execute(
        _claim_statement(inbox),
        {"event_id": envelope.meta.event_id, "event_name": envelope.meta.event_name},
    )
    return result.scalar_one_or_none() is not None


@functools.cache
def _claim_statement(inbox: Table) -> Any:
    """Built once per table: a statement with the values baked in is re-walked for its
    SQLAlchemy cache key on every execution."""
    return (
        insert(inbox)
        .values(event_id=bindparam("event_id"), event_name=bindparam("event_name"))
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(inbox.c.event_id)
    )


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        publisher: SqsPublisher,
        queue_names: dict[str, str],
        *,
        batch_size: int = 50,
        idle_seconds: float = 0.1,
        retry_base_seconds: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._publisher = publisher
        self._queue_names = queue_names
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._retry_base = retry_base_seconds

    @classmethod
    def factory(
        cls, sessions: async_sessionmaker[AsyncSession], outbox: Table
    ) -> "Callable[[SqsPublisher, ServiceSettings], OutboxRelay]":
        """The relay of a service's worker (`common.wiring.worker_loops`), tuned by settings."""

        def build(publisher: SqsPublisher, settings: ServiceSettings) -> OutboxRelay:
            return cls(
                sessions,
                outbox,
                publisher,
                settings.queue_names(),
                idle_seconds=settings.relay_idle_seconds,
            )

        return build

    async def run(self, stop: asyncio.Event) -> None:
        log.info("outbox relay started")
        while not stop.is_set():
            try:
                published = await self.publish_outbox_batch()
            except Exception:
                log.exception("outbox relay pass failed")
                published = 0
            if published == 0:
                await idle(stop, self._idle_seconds)
        log.info("outbox relay stopped")

    async def publish_outbox_batch(self) -> int:
        """Publish one batch of due rows; returns how many were sent."""
        o = self._outbox
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(claim_statement(o, self._batch_size))).all()
            if not rows:
                return 0
            by_destination: dict[str, list[Any]] = defaultdict(list)
            for row in rows:
                by_destination[row.destination].append(row)
            sent: list[int] = []
            failed: dict[int, str] = {}
            for destination, group in by_destination.items():
                spans = {
                    r.id: start_publish_span(r.event_name, destination, r.traceparent)
                    for r in group
                }
                messages = [
                    OutgoingMessage(
                        id=str(r.id),
                        body=r.body,
                        event_name=r.event_name,
                        correlation_id=r.correlation_id,
                        traceparent=format_traceparent(spans[r.id].get_span_context()),
                    )
                    for r in group
                ]
                try:
                    accepted = await self._publisher.publish_batch(
                        self._queue_names[destination], messages
                    )
                except Exception as exc:
                    log.warning(
                        "outbox publish failed, will retry: %s",
                        exc,
                        extra={"destination": destination},
                    )
                    accepted, error = set(), f"{type(exc).__name__}: {exc}"[:500]
                else:
                    error = "rejected by SQS"
                for r in group:
                    if str(r.id) in accepted:
                        sent.append(r.id)
                        metrics.record_published(destination, r.event_name, r.correlation_id)
                    else:
                        failed[r.id] = error
                        spans[r.id].set_status(StatusCode.ERROR, error)
                    spans[r.id].end()
            if sent:
                await session.execute(update(o).where(o.c.id.in_(sent)).values(sent_at=func.now()))
            attempts = {r.id: r.attempts for r in rows}
            for row_id, error in failed.items():
                delay = backoff_seconds(attempts[row_id] + 1, self._retry_base, cap=60)
                await session.execute(
                    update(o)
                    .where(o.c.id == row_id)
                    .values(
                        attempts=o.c.attempts + 1,
                        last_error=error,
                        next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
                    )
                )
            return len(sent)


def claim_statement(o: Table, batch_size: int) -> Any:
    """Due rows, oldest first, that no other relay holds (its query plan is pinned by
    tests/order/test_query_plans.py)."""
    return (
        select(
            o.c.id,
            o.c.destination,
            o.c.event_name,
            o.c.correlation_id,
            o.c.traceparent,
            o.c.body,
            o.c.attempts,
        )
        .where(o.c.sent_at.is_(None), o.c.next_attempt_at <= func.now())
        .order_by(o.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )


async def outbox_backlog(session: AsyncSession, outbox: Table) -> tuple[int, float | None]:
    """Pending rows and the age in seconds of the oldest one (for readiness and metrics)."""
    row = (
        await session.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
        )
    ).one()
    oldest: datetime | None = row[1]
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else None
    return int(row[0]), age
