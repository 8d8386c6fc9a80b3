"""The kitchen screen (mounted under /production, before the `/{production_id}` routes).

- `GET /production/kitchen`: the page (staff log in on it; the token stays in the tab).
- `GET /production/events`: staff SSE stream of the active tickets, oldest first: the whole
  list on connect and again on every change. EventSource cannot send headers, so the token
  may also come as `?access_token=` (never logged).
"""

import hashlib
import json
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from common.errors import Forbidden
from common.streams import (
    SSE_POLL_SECONDS,
    StreamItem,
    StreamUser,
    add_page_routes,
    event_stream,
    sse_event,
)
from production.api import TicketOut
from production.domain import Ticket
from production.live import KitchenFeed

router = APIRouter(tags=["kitchen"])


def render_tickets(tickets: list[Ticket]) -> str:
    return json.dumps([TicketOut.of(t).model_dump(mode="json") for t in tickets])


add_page_routes(router, Path(__file__).parent / "static", page="kitchen.html", path="/kitchen")


def list_id(data: str) -> str:
    """The event id of a ticket list: its content's digest, the same in every API task, so a
    screen that reconnects with it as Last-Event-ID waits for the next change."""
    return hashlib.sha256(data.encode()).hexdigest()[:16]


@router.get("/events", summary="Kitchen queue stream (SSE; staff): the active tickets")
async def kitchen_events(
    request: Request,
    user: StreamUser,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> StreamingResponse:
    if not user.is_staff:
        raise Forbidden("requires role staff or admin")
    feed: KitchenFeed = request.app.state.kitchen_feed

    async def stream() -> AsyncGenerator[StreamItem, None]:
        async with feed.subscribe() as view:
            while not await request.is_disconnected():
                if await view.wait(SSE_POLL_SECONDS) and (
                    (event_id := list_id(view.data)) != last_event_id
                ):
                    yield sse_event(view.data, event="tickets", event_id=event_id)

    return event_stream(stream())
