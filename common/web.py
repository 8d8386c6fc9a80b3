"""The FastAPI skeleton every service shares: prefix, health/ready, errors, logs, limits.

Server-sent events and static pages are in `common.streams`.
"""

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common import metrics
from common.db_errors import RETRY_AFTER_SECONDS
from common.errors import PayloadTooLarge, error_body, install_error_handlers
from common.logging import get_logger, set_correlation_id
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
