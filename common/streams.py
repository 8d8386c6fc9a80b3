"""Server-sent events and static pages: what the tracking routes of order and production share.

API Gateway's HTTP APIs buffer a response until it ends and cut it at 29 s, so a stream is
a long poll in SSE clothing (docs/tracking.md): it ends soon after its first events, or
after SSE_MAX_SECONDS with none, and EventSource reconnects with Last-Event-ID.
"""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from common.errors import NotFound, Unauthorized
from common.identity import Principal

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_RETRY_MS = 500  # how long EventSource waits before it reconnects
SSE_MAX_SECONDS = 25.0  # an idle stream ends before API Gateway's integration timeout
SSE_LINGER_SECONDS = 0.2  # after a live event, what else comes this soon rides along
SSE_POLL_SECONDS = 1.0  # how often a waiting stream looks whether its client left
FLUSH = None  # yielded by a stream after its backlog: end the response now
StreamItem = str | None


async def bounded_events(
    events: AsyncGenerator[StreamItem, None],
    *,
    max_seconds: float = SSE_MAX_SECONDS,
    linger_seconds: float = SSE_LINGER_SECONDS,
) -> AsyncIterator[str]:
    """`events` as one short response: `retry:` first, then the events until FLUSH, until
    `linger_seconds` after the first event, or until `max_seconds` passed."""
    yield f"retry: {SSE_RETRY_MS}\n\n"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    sent = False
    try:
        while (remaining := deadline - loop.time()) > 0:
            try:
                item = await asyncio.wait_for(anext(events), remaining)
            except (TimeoutError, StopAsyncIteration):
                return
            if item is FLUSH:
                if sent:
                    return
                continue
            yield item
            if not sent:
                sent = True
                deadline = min(deadline, loop.time() + linger_seconds)
    finally:
        await events.aclose()


def add_page_routes(router: APIRouter, directory: Path, *, page: str, path: str) -> None:
    """Serve `directory/page` at `path` (never cached: it carries no data) and the files
    beside it at `/static/{name}` (cached 5 minutes; only names found at start-up)."""
    files = {p.name: p for p in directory.iterdir() if p.is_file()}

    @router.get(path, include_in_schema=False)
    async def page_file() -> FileResponse:
        return FileResponse(directory / page, headers={"Cache-Control": "no-cache"})

    @router.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> FileResponse:
        if name not in files:
            raise NotFound("no such file")
        return FileResponse(files[name], headers={"Cache-Control": "max-age=300"})


async def stream_principal(
    request: Request,
    access_token: Annotated[
        str | None,
        Query(
            max_length=4096,
            description="EventSource cannot send headers: the bearer token may come here "
            "instead (stream routes only; never logged)",
        ),
    ] = None,
) -> Principal:
    """Bearer token from the Authorization header or, for SSE only, `?access_token=`."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else access_token
    if not token:
        raise Unauthorized("missing bearer token")
    principal: Principal = await request.app.state.verifier.verify(token)
    return principal


StreamUser = Annotated[Principal, Depends(stream_principal)]


def sse_event(data: str, *, event: str | None = None, event_id: int | str | None = None) -> str:
    """One event in the text/event-stream format (`data` must be one line, e.g. JSON)."""
    head = (f"event: {event}\n" if event else "") + (
        f"id: {event_id}\n" if event_id is not None else ""
    )
    return f"{head}data: {data}\n\n"


def event_stream(events: AsyncGenerator[StreamItem, None]) -> StreamingResponse:
    return StreamingResponse(
        bounded_events(events), media_type="text/event-stream", headers=SSE_HEADERS
    )
