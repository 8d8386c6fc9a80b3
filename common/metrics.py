"""Prometheus metrics: one registry per process, served at `/<svc>/metrics` (internal only).

Recorded as things happen: request latency (route template, method, status), handler
duration and failures per event, relay publishes, message age at receipt. Sampled at
scrape time by each service's probes, cached briefly so scrapes never hammer SQS or the
database: outbox backlog and oldest age, queue depth (consumer lag) and DLQ depth.

The API process serves its registry through FastAPI; a worker process serves its own on
`<SVC>_WORKER_METRICS_PORT` when set (`serve_worker_metrics`).
"""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from starlette.types import Scope

from common.logging import get_logger

log = get_logger(__name__)
_relay_log = get_logger("outbox.relay")

REGISTRY = CollectorRegistry()
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

HTTP_REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency (server side, whole response)",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "event_handler_duration_seconds",
    "Time to handle one SQS message, by event and outcome (ok, error, poison)",
    ["queue", "event_name", "outcome"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
HANDLER_FAILURES = Counter(
    "event_handler_failures_total",
    "Messages whose handler failed (error: retried; poison: left for the DLQ)",
    ["queue", "event_name", "kind"],
    registry=REGISTRY,
)
MESSAGE_AGE_SECONDS = Histogram(
    "sqs_message_age_seconds",
    "Age of a message when the consumer received it (sent → received): consumer lag",
    ["queue"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
    registry=REGISTRY,
)
OUTBOX_PUBLISHED = Counter(
    "outbox_published_total",
    "Outbox events handed to SQS by the relay",
    ["destination", "event_name"],
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "outbox_pending_events", "Outbox events not yet published", registry=REGISTRY
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_pending_age_seconds",
    "Age of the oldest unpublished outbox event (0 when none)",
    registry=REGISTRY,
)
QUEUE_MESSAGES = Gauge(
    "sqs_queue_messages",
    "Messages in the service's queue, by state (visible: waiting, in_flight, delayed)",
    ["queue", "state"],
    registry=REGISTRY,
)
DLQ_MESSAGES = Gauge(
    "sqs_dlq_messages", "Messages in the service's dead-letter queue", ["queue"], registry=REGISTRY
)
PROBE_FAILURES = Counter(
    "metrics_probe_failures_total",
    "Scrape-time probes that failed (their gauges keep the last value)",
    ["probe"],
    registry=REGISTRY,
)

Probe = Callable[[], Awaitable[None]]


def route_label(scope: Scope) -> str:
    """The route template (`/order/{order_id}`), never the raw path: bounded cardinality.

    Rebuilt from the matched path and its parameters: the route object of an included
    router knows only its path inside that router, not the prefix.
    """
    if scope.get("route") is None:
        return "unmatched"
    path: str = scope["path"]
    for name, value in (scope.get("path_params") or {}).items():
        path = re.sub(rf"/{re.escape(str(value))}(?=/|$)", f"/{{{name}}}", path, count=1)
    return path


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(scope.get("method", "?"), route_label(scope), str(status)).observe(
        seconds
    )


class ScrapeProbes:
    """Runs the probes at most once per `cache_seconds`, each with a timeout."""

    def __init__(
        self, probes: Sequence[Probe], *, cache_seconds: float = 5.0, timeout: float = 2.0
    ) -> None:
        self._probes = list(probes)
        self._cache_seconds = cache_seconds
        self._timeout = timeout
        self._last = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._last < self._cache_seconds:
                return
            await asyncio.gather(*(self._run(probe) for probe in self._probes))
            self._last = time.monotonic()

    async def _run(self, probe: Probe) -> None:
        name = getattr(probe, "__name__", "probe")
        try:
            await asyncio.wait_for(probe(), self._timeout)
        except Exception as exc:
            PROBE_FAILURES.labels(name).inc()
            log.warning("metrics probe %s failed: %s", name, exc)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def record_published(destination: str, event_name: str, correlation_id: str | None) -> None:
    """One log line per published event, with the order's correlation id (relays serve many)."""
    OUTBOX_PUBLISHED.labels(destination, event_name).inc()
    _relay_log.info(
        "event published",
        extra={
            "destination": destination,
            "event_name": event_name,
            "correlation_id": correlation_id,
        },
    )


def record_outbox_backlog(pending: int, oldest_age_seconds: float | None) -> None:
    OUTBOX_PENDING.set(pending)
    OUTBOX_OLDEST_AGE.set(oldest_age_seconds or 0.0)


def queue_probe(sqs: Any, queue_name: str, dlq_name: str) -> Probe:
    """Depth of the service's queue and of its DLQ (GetQueueAttributes; no message is read)."""
    urls: dict[str, str] = {}

    async def attributes(name: str) -> dict[str, str]:
        if name not in urls:
            urls[name] = (await sqs.get_queue_url(QueueName=name))["QueueUrl"]
        response = await sqs.get_queue_attributes(
            QueueUrl=urls[name],
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )
        values: dict[str, str] = response.get("Attributes", {})
        return values

    async def queue_depth() -> None:
        queue, dlq = await asyncio.gather(attributes(queue_name), attributes(dlq_name))
        for state, key in (
            ("visible", "ApproximateNumberOfMessages"),
            ("in_flight", "ApproximateNumberOfMessagesNotVisible"),
            ("delayed", "ApproximateNumberOfMessagesDelayed"),
        ):
            QUEUE_MESSAGES.labels(queue_name, state).set(int(queue.get(key, 0)))
        DLQ_MESSAGES.labels(queue_name).set(int(dlq.get("ApproximateNumberOfMessages", 0)))

    return queue_depth


def serve_worker_metrics(port: int | None, host: str = "0.0.0.0") -> None:
    """Expose a worker process's registry on `port` (a thread; any path answers)."""
    if port:
        start_http_server(port, addr=host, registry=REGISTRY)
        log.info("worker metrics served", extra={"port": port})
