"""The FastAPI skeleton every service shares: prefix, health/ready, errors, logs, limits."""

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.errors import PayloadTooLarge, error_body, install_error_handlers
from common.logging import get_logger, set_correlation_id

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
) -> FastAPI:
    app = FastAPI(
        title=f"{name} service",
        lifespan=lifespan,
        docs_url=f"{prefix}/docs",
        openapi_url=f"{prefix}/openapi.json",
        redoc_url=None,
    )
    install_error_handlers(app)

    health = APIRouter(prefix=prefix, tags=["health"])

    @health.get("/health", summary="Liveness")
    async def liveness() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @health.get("/ready", summary="Readiness: dependencies reachable")
    async def readiness() -> JSONResponse:
        failures: dict[str, str] = {}
        for check in ready_checks:
            try:
                await check(app)
            except Exception as exc:  # report, never crash the probe
                failures[check.__name__] = f"{type(exc).__name__}: {exc}"[:200]
        if failures:
            return JSONResponse(error_body("not_ready", failures), status_code=503)
        return JSONResponse({"status": "ready", "service": name})

    app.include_router(health)
    for router in routers:
        app.include_router(router, prefix=prefix)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=max_body_bytes)
    return app


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
        correlation_id = _valid_correlation_id(headers.get(CORRELATION_HEADER))
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
        log.info(
            "request",
            extra={
                "method": scope["method"],
                "path": scope["path"],
                "status": status["code"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
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


def route_paths(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route, used by the authorization matrix tests."""
    out: list[tuple[str, str]] = []
    for route in app.routes:
        methods: Any = getattr(route, "methods", None) or ()
        for method in sorted(methods):
            if method not in {"HEAD", "OPTIONS"}:
                out.append((method, getattr(route, "path", "")))
    return out
