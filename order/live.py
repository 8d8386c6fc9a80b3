"""Live order status for server-sent events: one feed per API process, fanned out.

Every status change NOTIFYs `order_status` in its own transaction (repository.add_history).
The feed keeps one asyncpg connection LISTENing; a notification (or, while that connection
is down, a short poll; and a slow safety poll always) makes it read the new history rows
once and hand them to every subscribed stream. The rows are the source of truth: a stream
replays them by id on reconnect (`Last-Event-ID`), so a missed notification delays an
update but never loses it. Re-reading a small overlap of ids catches a transaction that
committed after a later id was already seen.
"""

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.logging import get_logger
from order import repository as repo

log = get_logger(__name__)
Row = dict[str, Any]


class Subscription:
    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[Row] = asyncio.Queue(size)
        self.overflowed = False  # a stream too slow to keep up is closed; it reconnects

    def offer(self, row: Row) -> None:
        try:
            self.queue.put_nowait(row)
        except asyncio.QueueFull:
            self.overflowed = True

    async def next(self, wait_seconds: float) -> Row | None:
        """The next row, or None when `wait_seconds` passed first (time for a heartbeat)."""
        try:
            return await asyncio.wait_for(self.queue.get(), wait_seconds)
        except TimeoutError:
            return None


class StatusFeed:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dsn: str | Callable[[], Awaitable[asyncpg.Connection]],  # or a connect function
        *,
        poll_seconds: float = 1.0,
        safety_poll_seconds: float = 5.0,
        overlap: int = 100,
        queue_size: int = 1000,
    ) -> None:
        self._sessions = sessions
        self._dsn = dsn
        self._poll = poll_seconds
        self._safety_poll = safety_poll_seconds
        self._overlap = overlap
        self._queue_size = queue_size
        self._subscriptions: set[Subscription] = set()
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._cursor = 0
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        # True until the cursor has been moved to the newest row: at start, and after rows
        # were skipped while nobody watched. A first subscriber catches up before it is served.
        self._behind = True

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="order-status-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_listener()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        if self._behind:
            await self._catch_up()
        subscription = Subscription(self._queue_size)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    async def _skip_history(self) -> None:
        """Start from the rows that exist now: they are not news to anyone."""
        while True:
            if await self._catch_up():
                return
            await asyncio.sleep(self._poll)  # the app serves (and reports not ready) meanwhile

    async def _run(self) -> None:
        await self._skip_history()
        while True:
            if not self.listening:
                await self._listen()
            with contextlib.suppress(TimeoutError):
                timeout = self._safety_poll if self.listening else self._poll
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            try:
                await self.publish_new_rows()
            except Exception as exc:  # the database is back soon; rows wait for us
                log.warning("status feed read failed: %s", exc)

    async def _listen(self) -> None:
        await self._close_listener()
        try:
            connection = await (
                self._dsn() if callable(self._dsn) else asyncpg.connect(self._dsn, timeout=5)
            )
            await connection.add_listener(repo.STATUS_CHANNEL, self._notified)
        except Exception as exc:
            log.warning("status feed cannot LISTEN (%s); polling meanwhile", exc)
            return
        self._listener = connection
        self._wake.set()  # catch up with whatever changed while we were not listening

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=2)
            self._listener = None

    async def _catch_up(self) -> bool:
        """Move the cursor to the newest row. Done before a first subscriber reads its
        snapshot too: rows skipped while nobody watched are in that snapshot."""
        try:
            async with self._sessions() as session:
                last = await repo.last_status_change_id(session)
                recent = await repo.status_changes_after(session, last - self._overlap)
        except Exception as exc:  # a subscriber's own snapshot read fails the same way
            log.warning("status feed cannot read the history: %s", exc)
            return False
        self._behind = False
        if self._subscriptions:
            # Someone subscribed while we read: the rows after the cursor are news to them
            # (they read their snapshot after subscribing), so the cursor must not jump.
            return True
        self._cursor = max(self._cursor, last)
        self._seen.update((row["id"], None) for row in recent)
        return True

    async def publish_new_rows(self) -> int:
        if not self._subscriptions:
            # Nobody watches: reading every change would cost a query per order for nothing
            # (6 % of the order API's CPU under load, docs/performance.md).
            self._behind = True
            return 0
        async with self._sessions() as session:
            rows = await repo.status_changes_after(
                session, max(0, self._cursor - self._overlap), limit=2000
            )
        fresh = [row for row in rows if row["id"] not in self._seen]
        for row in fresh:
            self._seen[row["id"]] = None
            self._cursor = max(self._cursor, row["id"])
            for subscription in list(self._subscriptions):
                subscription.offer(row)
        while len(self._seen) > 10 * self._overlap:
            self._seen.popitem(last=False)
        return len(fresh)
