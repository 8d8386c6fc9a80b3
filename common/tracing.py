"""W3C trace context across HTTP and SQS, with the OpenTelemetry SDK.

One rule makes an order's spans one trace even where the chain of calls breaks (Mercado
Pago's webhook, a staff click in the kitchen): **the trace id is the correlation id**. A
span with no parent takes its trace id from the correlation id in context, and an event
staged outside its correlation's trace starts a `stage` span in that trace, linked to the
work that caused it. The `traceparent` is stored with each outbox row, re-parented under a
`publish` span by the relay, sent as an SQS message attribute, and parents the consumer's
`process` span.

Export: `OTEL_TRACES_EXPORTER=none|console|otlp` (default `none`, or `otlp` when
`OTEL_EXPORTER_OTLP_ENDPOINT` is set). Spans are always created, so ids propagate.
"""

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.logging import get_correlation_id, get_logger
from common.metrics import route_label

log = get_logger(__name__)

TRACEPARENT = "traceparent"
UNTRACED_SUFFIXES = ("/health", "/ready", "/metrics")  # probes and scrapes: noise, not flow
_trace_id_hint: ContextVar[int | None] = ContextVar("trace_id_hint", default=None)
_provider: TracerProvider | None = None


class CorrelationIdGenerator(RandomIdGenerator):
    """Root spans take the correlation id in context as their trace id."""

    def generate_trace_id(self) -> int:
        return (
            _trace_id_hint.get() or _uuid_int(get_correlation_id()) or super().generate_trace_id()
        )


def setup_tracing(service: str) -> TracerProvider:
    """Once per process (common.observability calls it); later calls return the same provider."""
    global _provider
    if _provider is not None:
        return _provider
    _provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)}),
        id_generator=CorrelationIdGenerator(),
    )
    default = "otlp" if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else "none"
    for name in os.environ.get("OTEL_TRACES_EXPORTER", default).split(","):
        exporter = _exporter(name.strip().lower())
        if exporter is not None:
            _provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(_provider)
    return _provider


def _exporter(name: str) -> Any:
    if name == "console":
        return ConsoleSpanExporter(out=sys.stderr)  # stdout carries the JSON log lines
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # endpoint, headers, timeout from OTEL_EXPORTER_OTLP_*
    if name not in ("none", ""):
        log.warning("unknown OTEL_TRACES_EXPORTER %r ignored", name)
    return None


def provider() -> TracerProvider:
    return _provider or setup_tracing("fastfood")


def tracer() -> trace.Tracer:
    return provider().get_tracer("fastfood")


def _uuid_int(value: str | uuid.UUID | None) -> int | None:
    if value is None:
        return None
    try:
        return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).int or None
    except ValueError:
        return None


def format_traceparent(context: SpanContext) -> str:
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def parse_traceparent(value: str | None) -> SpanContext | None:
    """A valid remote span context, or None for a missing or malformed header."""
    parts = (value or "").strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16 or parts[0] == "ff":
        return None
    try:
        trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    context = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(flags & 1))
    return context if context.is_valid else None


def correlation_of_traceparent(value: str | None) -> str | None:
    """A caller that sends only a traceparent gets its trace id as correlation id."""
    context = parse_traceparent(value)
    return str(uuid.UUID(int=context.trace_id)) if context else None


def current_traceparent() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format_traceparent(context) if context.is_valid else None


def start_span(
    name: str,
    *,
    parent: SpanContext | None = None,
    trace_id: str | uuid.UUID | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, Any] | None = None,
) -> Span:
    """A span under `parent` when it is in the trace `trace_id` (or no trace id is asked);
    otherwise a new root in `trace_id`'s trace, linked to `parent`."""
    wanted = _uuid_int(trace_id)
    links: list[Link] = []
    context = Context()
    if parent is not None and wanted in (None, parent.trace_id):
        context = trace.set_span_in_context(NonRecordingSpan(parent))
    elif parent is not None:
        links.append(Link(parent))
    token = _trace_id_hint.set(wanted)
    try:
        return tracer().start_span(
            name, context=context, kind=kind, attributes=attributes, links=links
        )
    finally:
        _trace_id_hint.reset(token)


@contextmanager
def consumer_span(
    event_name: str, queue: str, traceparent: str | None, correlation_id: str
) -> Iterator[Span]:
    """The span of one message's handler, current while it runs (its outbox rows inherit it)."""
    span = start_span(
        f"process {event_name}",
        parent=parse_traceparent(traceparent),
        trace_id=correlation_id,
        kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "aws_sqs", "messaging.destination.name": queue},
    )
    with trace.use_span(span, end_on_exit=True):
        yield span


def traceparent_for_event(correlation_id: str | uuid.UUID | None, event_name: str) -> str:
    """The traceparent stored with an outbox row: the current span when it belongs to the
    event's correlation trace, else a `stage` span in that trace linked to the current one."""
    current = trace.get_current_span().get_span_context()
    wanted = _uuid_int(correlation_id)
    if current.is_valid and wanted in (None, current.trace_id):
        return format_traceparent(current)
    span = start_span(
        f"stage {event_name}",
        parent=current if current.is_valid else None,
        trace_id=correlation_id,
        kind=SpanKind.PRODUCER,
    )
    span.end()
    return format_traceparent(span.get_span_context())


def start_publish_span(event_name: str, destination: str, traceparent: str | None) -> Span:
    """The relay's span around sending one outbox row; its context goes on the SQS message."""
    return start_span(
        f"publish {event_name}",
        parent=parse_traceparent(traceparent),
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "aws_sqs", "messaging.destination.name": destination},
    )


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the trace and correlation to another service over HTTP."""
    headers: dict[str, str] = {}
    if (traceparent := current_traceparent()) is not None:
        headers[TRACEPARENT] = traceparent
    if (correlation_id := get_correlation_id()) is not None:
        headers["x-correlation-id"] = correlation_id
    return headers


class TracingMiddleware:
    """A SERVER span per request (named by route template), parented by `traceparent`.

    Only the path is recorded, never the query string: SSE routes take a token there.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(UNTRACED_SUFFIXES):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(TRACEPARENT.encode(), b"").decode("latin-1")
        method = scope["method"]
        span = start_span(
            f"{method} {scope['path']}",
            parent=parse_traceparent(header),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )
        status = {"code": 500}

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        with trace.use_span(span, end_on_exit=True):
            try:
                await self.app(scope, receive, send_with_status)
            finally:
                if (template := route_label(scope)) != "unmatched":
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)
                span.set_attribute("http.response.status_code", status["code"])
                if status["code"] >= 500:
                    span.set_status(trace.StatusCode.ERROR)
