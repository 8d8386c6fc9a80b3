"""The FastAPI skeleton every service shares: prefix, health/ready, errors, logs, limits."""

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common import metrics
from common.db_errors import RETRY_AFTER_SECONDS
from common.errors import (
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    error_body,
    install_error_handlers,
)
from common.logging import get_logger, set_correlation_id
from common.security import Principal
from common.tracing import TracingMiddleware, correlation_of_traceparent

log = get_logger("access")

ReadyCheck = Callable[[FastAPI], Awaitable[None]]
CORRELATION_HEADER = "x-correlation-id"


def create_service_app(
    *,
    name: str,
    prefix: str,
    routers: Sequence[APIRouter],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    ready_checks: Sequence[ReadyCheck] = (),
    max_body_bytes: int = 64 * 1024,
    metrics_probes: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
) -> FastAPI:
    app = FastAPI(
        title=f"{name} service",
        lifespan=lifespan,
        docs_url=f"{prefix}/docs",
        openapi_url=f"{prefix}/openapi.json",
        redoc_url=None,
        # common.tracing owns the server spans (trace id = correlation id); FastAPI's own
        # instrumentation would open a second, unrelated trace around every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)

    health = APIRouter(prefix=prefix, tags=["health"])

    @health.get("/health", summary="Liveness")
    async def liveness() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @health.get(
        "/ready",
        summary="Readiness: dependencies reachable",
        responses={503: {"description": "A dependency is unreachable"}},
    )
    async def readiness() -> JSONResponse:
        failures: dict[str, str] = {}
        for check in ready_checks:
            try:
                await check(app)
            except Exception as exc:  # report, never crash the probe
                failures[check.__name__] = f"{type(exc).__name__}: {exc}"[:200]
        if failures:
            return JSONResponse(
                error_body("not_ready", failures),
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return JSONResponse({"status": "ready", "service": name})

    scrape = metrics.ScrapeProbes([_bound(probe, app) for probe in metrics_probes])

    # Internal only: the API Gateway refuses /{svc}/metrics (403, infra/terraform/routes.json);
    # scrapers reach it on the internal ALB, inside the VPC (docs/tracking.md).
    @health.get("/metrics", summary="Prometheus metrics (internal)", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        await scrape.refresh()
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    app.include_router(health)
    for router in routers:
        app.include_router(router, prefix=prefix)
    app.add_middleware(TracingMiddleware)  # inside the correlation id: root spans use it
    app.add_middleware(RequestContextMiddleware, max_body_bytes=max_body_bytes)
    return app


def _bound(
    probe: Callable[[FastAPI], Awaitable[None]], app: FastAPI
) -> Callable[[], Awaitable[None]]:
    async def bound() -> None:
        await probe(app)

    bound.__name__ = probe.__name__
    return bound


class RequestContextMiddleware:
    """Correlation id in and out, one access log line, and a hard request-body limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        correlation_id = _valid_correlation_id(
            headers.get(CORRELATION_HEADER)
            or correlation_of_traceparent(headers.get("traceparent"))
        )
        set_correlation_id(correlation_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (CORRELATION_HEADER.encode(), correlation_id.encode()),
                ]
            await send(message)

        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            response = JSONResponse(
                error_body("payload_too_large", f"body exceeds {self.max_body_bytes} bytes"),
                status_code=413,
            )
            await response(scope, receive, send_with_context)
        else:
            await self.app(scope, _limited(receive, self.max_body_bytes), send_with_context)
        elapsed = time.perf_counter() - started
        metrics.observe_request(scope, status["code"], elapsed)
        log.info(
            "request",
            extra={
                "method": scope["method"],
                "path": scope["path"],
                "status": status["code"],
                "duration_ms": round(elapsed * 1000, 2),
            },
        )


class BodyTooLarge(PayloadTooLarge):
    """Raised while streaming a body with no (or a false) Content-Length; rendered as 413."""


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"body exceeds {limit} bytes")
        return message

    return wrapped


def _valid_correlation_id(value: str | None) -> str:
    if value:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    return str(uuid.uuid4())


# ---- server-sent events ---------------------------------------------------------------

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# API Gateway's HTTP APIs buffer a response until it ends and cut it at 29 s, so a stream is
# a long poll in SSE clothing (docs/tracking.md): it ends soon after its first events, or
# after SSE_MAX_SECONDS with none, and EventSource reconnects with Last-Event-ID.
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
