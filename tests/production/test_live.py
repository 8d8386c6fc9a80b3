"""The kitchen feed: the active tickets pushed to every connected screen, only on change."""

import asyncio
import json

from production import service
from production.domain import Action
from production.live import KitchenFeed
from production.tracking import render_tickets
from tests.production.test_service import FakeStore, order_paid


class CountingStore(FakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.scans = 0

    async def list_by_status(self, statuses):  # type: ignore[no-untyped-def]
        self.scans += 1
        return await super().list_by_status(statuses)


async def received(store: FakeStore) -> str:
    envelope = order_paid()
    await service.receive_paid_order(store, envelope, envelope.payload)
    return next(iter(store.tickets))


async def test_a_screen_gets_the_queue_on_connect_and_each_change_after() -> None:
    store = CountingStore()
    production_id = await received(store)
    feed = KitchenFeed(store, render_tickets, poll_seconds=0.05)
    await feed.start()
    try:
        async with feed.subscribe() as view:
            assert await view.wait(2)
            assert [t["status"] for t in json.loads(view.data)] == ["RECEIVED"]
            first = view.version
            assert not await view.wait(0.2)  # nothing changed: nothing sent
            await service.advance_ticket(store, production_id, Action.STARTED)
            feed.nudge()
            assert await view.wait(2)
            assert view.version > first
            assert [t["status"] for t in json.loads(view.data)] == ["IN_PREPARATION"]
    finally:
        await feed.stop()


async def test_no_screen_connected_means_no_scans() -> None:
    store = CountingStore()
    feed = KitchenFeed(store, render_tickets, poll_seconds=0.02)
    await feed.start()
    try:
        await asyncio.sleep(0.2)
        assert store.scans == 0
        async with feed.subscribe() as view:
            assert await view.wait(2)
            assert json.loads(view.data) == []
        scans = store.scans
        await asyncio.sleep(0.2)
        assert store.scans <= scans + 1
    finally:
        await feed.stop()
