"""The order status feed: LISTEN/NOTIFY on real Postgres, and polling when it cannot listen."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast
from uuid import UUID, uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import make_engine, make_session_factory, transaction
from infra.local.postgres import LocalPostgres
from order import repository as repo
from order.domain import OrderLine, OrderStatus
from order.live import StatusFeed
from order.main import asyncpg_dsn, migrate
from order.settings import Settings
from tests.conftest import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(
    postgres: LocalPostgres,
) -> AsyncIterator[tuple[Settings, async_sessionmaker[AsyncSession]]]:
    settings = Settings(database_url=await fresh_database(postgres, "order"))
    migrate(settings)
    engine = make_engine(settings.sqlalchemy_url("order"), pool_size=2)
    yield settings, make_session_factory(engine)
    await engine.dispose()


async def new_order(sessions: async_sessionmaker[AsyncSession], number: str) -> UUID:
    order_id = uuid4()
    async with transaction(sessions) as session:
        await repo.insert_order(
            session,
            {
                "id": order_id,
                "display_number": number,
                "customer_id": "c1",
                "status": OrderStatus.AWAITING_PAYMENT.value,
                "total": 10,
                "created_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            },
            [OrderLine(uuid4(), "X-Burger", Decimal("10.00"), 1, None)],
        )
        await repo.add_history(session, order_id, OrderStatus.AWAITING_PAYMENT)
    return order_id


async def test_a_committed_status_change_reaches_subscribers_at_once(
    database: tuple[Settings, async_sessionmaker[AsyncSession]],
) -> None:
    settings, sessions = database
    await new_order(sessions, "A-001")  # history before the feed started is not news
    feed = StatusFeed(sessions, asyncpg_dsn(settings), safety_poll_seconds=60)
    await feed.start()
    try:
        async with feed.subscribe() as subscription:
            for _ in range(50):
                if feed.listening:
                    break
                await subscription.next(0.1)
            assert feed.listening
            await new_order(sessions, "A-002")
            row = await subscription.next(5)  # long before the 60 s safety poll: NOTIFY
            assert row is not None and row["display_number"] == "A-002"
            assert await subscription.next(0.3) is None
    finally:
        await feed.stop()


async def test_without_listen_the_feed_polls_and_a_rolled_back_change_is_never_sent(
    database: tuple[Settings, async_sessionmaker[AsyncSession]],
) -> None:
    _, sessions = database
    feed = StatusFeed(sessions, "postgresql://nobody@127.0.0.1:9/none", poll_seconds=0.1)
    await feed.start()
    try:
        async with feed.subscribe() as subscription:
            order_id = await new_order(sessions, "A-003")
            row = await subscription.next(5)
            assert row is not None and row["display_number"] == "A-003"
            with pytest.raises(RuntimeError):
                async with transaction(sessions) as session:
                    await repo.add_history(session, order_id, OrderStatus.PAID)
                    raise RuntimeError("rolled back")
            async with transaction(sessions) as session:
                await repo.add_history(session, order_id, OrderStatus.CANCELLED)
            row = await subscription.next(5)
            assert row is not None and row["status"] == OrderStatus.CANCELLED.value
            assert not feed.listening
    finally:
        await feed.stop()


class CountingSessions:
    """The feed's session factory, counting the sessions (reads) it opens."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.opened = 0

    def __call__(self) -> AsyncSession:
        self.opened += 1
        return self._sessions()


async def test_nobody_watching_costs_no_reads_and_a_late_subscriber_starts_from_now(
    database: tuple[Settings, async_sessionmaker[AsyncSession]],
) -> None:
    settings, sessions = database
    counting = CountingSessions(sessions)
    feed = StatusFeed(
        cast(async_sessionmaker[AsyncSession], counting),
        asyncpg_dsn(settings),
        safety_poll_seconds=0.2,
    )
    await feed.start()
    try:
        for _ in range(50):
            if feed.listening:
                break
            await asyncio.sleep(0.1)
        assert feed.listening
        reads_before = counting.opened
        for number in ("B-001", "B-002", "B-003"):
            await new_order(sessions, number)
        await asyncio.sleep(1.0)  # three NOTIFYs and several safety polls
        assert counting.opened == reads_before
        async with feed.subscribe() as subscription:
            await new_order(sessions, "B-004")
            row = await subscription.next(5)
            assert row is not None and row["display_number"] == "B-004"
            assert await subscription.next(0.5) is None  # B-001..3 were not news to it
    finally:
        await feed.stop()


async def test_a_catch_up_that_lands_after_a_subscription_does_not_skip_its_rows(
    database: tuple[Settings, async_sessionmaker[AsyncSession]],
) -> None:
    """The race a clean `make test` hit: the feed's own start-up catch-up finished after a
    first subscriber had subscribed and a row had committed, jumped past that row, and the
    subscriber never got it. The late catch-up is played here by hand, deterministically."""
    _, sessions = database
    feed = StatusFeed(sessions, "postgresql://nobody@127.0.0.1:9/none")  # task not started
    async with feed.subscribe() as subscription:
        await new_order(sessions, "C-001")
        assert await feed._catch_up()  # the start-up catch-up, arriving late
        assert await feed.publish_new_rows() == 1
        row = await subscription.next(1)
        assert row is not None and row["display_number"] == "C-001"
