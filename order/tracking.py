"""Order tracking for people (mounted under /order, before the `/{order_id}` routes).

- `GET /order/board`: the public status board page (display numbers only).
- `GET /order/board/events`: its public SSE stream: a snapshot, then each status change.
- `GET /order/{order_id}/events`: one order's SSE stream (owner or staff). EventSource
  cannot send headers, so the token may also come as `?access_token=` (never logged).
Event ids are `order_status_history.id`: a reconnect with `Last-Event-ID` replays the rest.
"""

import json
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from common.streams import (
    FLUSH,
    SSE_POLL_SECONDS,
    StreamItem,
    StreamUser,
    add_page_routes,
    event_stream,
    sse_event,
)
from order import repository as repo
from order.api import Sessions, readable_order
from order.domain import OrderStatus
from order.live import StatusFeed, Subscription

router = APIRouter(tags=["tracking"])
REPLAY_LIMIT = 500  # a board that was away longer than this gets a fresh snapshot instead
FINAL = {OrderStatus.DELIVERED.value, OrderStatus.CANCELLED.value}
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)]


def _feed(request: Request) -> StatusFeed:
    feed: StatusFeed = request.app.state.status_feed
    return feed


def _last_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _json(data: Any) -> str:
    return json.dumps(data, default=str, separators=(",", ":"))


def _board_event(row: dict[str, Any]) -> str:
    data = {"display_number": row["display_number"], "status": row["status"]}
    return sse_event(_json(data), event="status", event_id=row["id"])


def _order_event(row: dict[str, Any]) -> str:
    data = {
        "order_id": row["order_id"],
        "display_number": row["display_number"],
        "status": row["status"],
        "at": row["at"],
    }
    return sse_event(_json(data), event="status", event_id=row["id"])


async def _live(request: Request, subscription: Subscription) -> AsyncIterator[dict[str, Any]]:
    """Rows as they come; ends when the client left (or could not keep up)."""
    while not subscription.overflowed and not await request.is_disconnected():
        if (row := await subscription.next(SSE_POLL_SECONDS)) is not None:
            yield row


add_page_routes(router, Path(__file__).parent / "static", page="board.html", path="/board")


@router.get("/board/events", summary="Status board stream (SSE, public: display numbers only)")
async def board_events(
    request: Request, db: Sessions, last_event_id: LastEventId = None
) -> StreamingResponse:
    async def stream() -> AsyncGenerator[StreamItem, None]:
        async with _feed(request).subscribe() as subscription:
            replay: list[dict[str, Any]] | None = None
            async with db() as session:
                if (after := _last_id(last_event_id)) is not None:
                    rows = await repo.status_changes_after(session, after, limit=REPLAY_LIMIT + 1)
                    replay = rows if len(rows) <= REPLAY_LIMIT else None
                if replay is None:
                    last = await repo.last_status_change_id(session)
                    orders = await repo.board_orders(session)
            floor = -1  # rows at or below it are in the snapshot the board has
            if replay is None:
                yield sse_event(_json({"orders": orders}), event="snapshot", event_id=last)
                floor = last
            sent = {row["id"] for row in replay or []}
            for row in replay or []:
                yield _board_event(row)
            yield FLUSH  # a board that missed something gets it at once
            async for change in _live(request, subscription):
                if change["id"] not in sent and change["id"] > floor:
                    yield _board_event(change)

    return event_stream(stream())


@router.get("/{order_id}/events", summary="One order's status stream (SSE; owner or staff)")
async def order_events(
    order_id: UUID,
    request: Request,
    db: Sessions,
    user: StreamUser,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    async with db() as session:
        order = await readable_order(session, order_id, user)

    async def stream() -> AsyncGenerator[StreamItem, None]:
        async with _feed(request).subscribe() as subscription:
            async with db() as session:
                after = _last_id(last_event_id) or 0
                replay = await repo.status_changes_after(session, after, order_id=order_id)
            sent = {row["id"] for row in replay}
            for row in replay:
                yield _order_event(row)
            if (order["status"] in FINAL and not replay) or any(
                r["status"] in FINAL for r in replay
            ):
                yield sse_event("{}", event="end")  # nothing more will happen: close, don't retry
                return
            yield FLUSH
            async for change in _live(request, subscription):
                if change["order_id"] == order_id and change["id"] not in sent:
                    yield _order_event(change)
                    if change["status"] in FINAL:
                        yield sse_event("{}", event="end")
                        return

    return event_stream(stream())
