"""The DynamoDB outbox relay backs off while idle and scans at once again after work."""

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from common import dynamo
from common.dynamo import DynamoOutboxRelay, to_item
from common.messaging import OutgoingMessage

ITEM = to_item(
    {
        "event_id": "e1:order",
        "destination": "order",
        "event_name": "payment-created",
        "correlation_id": "c1",
        "body": "{}",
        "created_at": 1,
    }
)


class ScriptedTable:
    """Answers each scan with the next page of the script; stops the relay at its end."""

    def __init__(self, pages: list[list[dict[str, Any]]], stop: asyncio.Event) -> None:
        self._pages = pages
        self._stop = stop
        self.scans = 0
        self.deleted: list[Any] = []

    async def scan(self, **_: Any) -> dict[str, Any]:
        self.scans += 1
        if self.scans >= len(self._pages):
            self._stop.set()
        return {"Items": self._pages[min(self.scans, len(self._pages)) - 1]}

    async def batch_write_item(self, RequestItems: dict[str, Any]) -> None:
        self.deleted.extend(RequestItems.values())


class AcceptingPublisher:
    async def publish_batch(self, queue: str, messages: Sequence[OutgoingMessage]) -> set[str]:
        return {m.id for m in messages}


async def test_idle_passes_back_off_to_the_cap_and_work_resets_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []

    async def record_pause(stop: asyncio.Event, seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(dynamo, "idle", record_pause)
    stop = asyncio.Event()
    empty: list[dict[str, Any]] = []
    table = ScriptedTable([empty] * 5 + [[ITEM]] + [empty] * 3, stop)
    relay = DynamoOutboxRelay(
        table,
        "outbox",
        AcceptingPublisher(),  # type: ignore[arg-type]
        {"order": "order-service-queue"},
        idle_seconds=0.1,
        max_idle_seconds=1.0,
    )

    await relay.run(stop)

    assert table.scans == 9
    assert len(table.deleted) == 1  # the one item was published, then deleted
    # five idle passes double up to the cap; the pass that found work scans again at once.
    assert pauses == [0.1, 0.2, 0.4, 0.8, 1.0, 0.1, 0.2, 0.4]
