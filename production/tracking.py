"""The kitchen screen (mounted under /production, before the `/{production_id}` routes).

- `GET /production/kitchen`: the page (staff log in on it; the token stays in the tab).
- `GET /production/events`: staff SSE stream of the active tickets, oldest first: the whole
  list on connect and again on every change. EventSource cannot send headers, so the token
  may also come as `?access_token=` (never logged).
"""

import json
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from common.errors import Forbidden
from common.web import (
    SSE_HEARTBEAT_SECONDS,
    SSE_KEEP_ALIVE,
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


@router.get("/events", summary="Kitchen queue stream (SSE; staff): the active tickets")
async def kitchen_events(request: Request, user: StreamUser) -> StreamingResponse:
    if not user.is_staff:
        raise Forbidden("requires role staff or admin")
    feed: KitchenFeed = request.app.state.kitchen_feed

    async def stream() -> AsyncIterator[str]:
        async with feed.subscribe() as view:
            while not await request.is_disconnected():
                if await view.wait(SSE_HEARTBEAT_SECONDS):
                    yield sse_event(view.data, event="tickets", event_id=view.version)
                else:
                    yield SSE_KEEP_ALIVE

    return event_stream(stream())
