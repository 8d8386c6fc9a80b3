"""The kitchen's live view: one poller per API process, fanned out to SSE streams.

Tickets live in DynamoDB, which has no change notifications we can listen to here, so
while at least one kitchen screen is connected the feed reads the active tickets about
once a second (at once after a staff action in this process) and, when anything changed,
hands every stream the new list. A stream only ever needs the latest list, so a slow
screen skips intermediate ones instead of queueing them.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from common.logging import get_logger
from production import service
from production.domain import Ticket
from production.service import TicketStore

log = get_logger(__name__)
Render = Callable[[list[Ticket]], str]


class KitchenView:
    """What one stream has yet to send: the latest rendered list and its version."""

    def __init__(self) -> None:
        self.version = 0
        self.data = ""
        self.changed = asyncio.Event()

    def offer(self, version: int, data: str) -> None:
        self.version, self.data = version, data
        self.changed.set()

    async def wait(self, wait_seconds: float) -> bool:
        """True when a new list arrived within `wait_seconds` (else a heartbeat is due)."""
        try:
            await asyncio.wait_for(self.changed.wait(), wait_seconds)
        except TimeoutError:
            return False
        self.changed.clear()
        return True


class KitchenFeed:
    def __init__(self, store: TicketStore, render: Render, *, poll_seconds: float = 1.0) -> None:
        self._store = store
        self._render = render
        self._poll = poll_seconds
        self._views: set[KitchenView] = set()
        self._version = 0
        self._latest: str | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kitchen-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def nudge(self) -> None:
        """A ticket changed here: read again now rather than at the next poll."""
        self._wake.set()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[KitchenView]:
        view = KitchenView()
        if self._latest is not None:
            view.offer(self._version, self._latest)
        self._views.add(view)
        self.nudge()
        try:
            yield view
        finally:
            self._views.discard(view)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()
            if not self._views:
                self._latest = None  # nobody watches: no scans, and no stale list later
                continue
            try:
                await self.refresh()
            except Exception as exc:  # DynamoDB throttled or away: the screens keep the last list
                log.warning("kitchen feed read failed: %s", exc)

    async def refresh(self) -> None:
        data = self._render(await service.list_tickets(self._store))
        if data != self._latest:
            self._version += 1
            self._latest = data
            for view in list(self._views):
                view.offer(self._version, data)
