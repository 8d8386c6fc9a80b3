"""Every service's /metrics on the running stack, as Prometheus inside the VPC scrapes it."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.local.stack import SERVICES
from tests.tracking.conftest import TrackingStack, pay, place_order, valid_cpf

pytestmark = pytest.mark.e2e

Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return next((v for found, v in samples.get(name, []) if labels.items() <= found.items()), None)


def test_every_service_reports_request_latency_by_route_template(tracking: TrackingStack) -> None:
    for name in SERVICES:
        base = tracking.stack.service_url(name)
        httpx.get(f"{base}/{name}/health", timeout=5)
        samples = scrape(f"{base}/{name}/metrics")
        count = value(
            samples,
            "http_request_duration_seconds_count",
            route=f"/{name}/health",
            method="GET",
            status="200",
        )
        assert count is not None and count >= 1, name


def test_order_and_production_report_outbox_backlog_queue_depth_and_dlq(
    tracking: TrackingStack,
) -> None:
    for name in ("order", "production"):
        samples = scrape(f"{tracking.stack.service_url(name)}/{name}/metrics")
        queue = f"{name}-service-queue"
        assert value(samples, "outbox_pending_events") is not None, name
        assert value(samples, "outbox_oldest_pending_age_seconds") is not None, name
        assert value(samples, "sqs_queue_messages", queue=queue, state="visible") is not None
        assert value(samples, "sqs_queue_messages", queue=queue, state="in_flight") is not None
        assert value(samples, "sqs_dlq_messages", queue=queue) == 0
        assert value(samples, "metrics_probe_failures_total") is None, name


def test_workers_report_handler_durations_and_relay_publishes(tracking: TrackingStack) -> None:
    with httpx.Client(base_url=tracking.gateway_url, timeout=10) as api:
        order, customer = place_order(api, valid_cpf(301))
        pay(api, tracking.simulator_url, order, customer)
    order_worker = scrape(f"http://127.0.0.1:{tracking.worker_metrics['order']}/metrics")
    handled = value(
        order_worker,
        "event_handler_duration_seconds_count",
        queue="order-service-queue",
        event_name="payment-approved",
        outcome="ok",
    )
    assert handled is not None and handled >= 1
    published = value(
        order_worker, "outbox_published_total", destination="production", event_name="order-paid"
    )
    assert published is not None and published >= 1
    kitchen = scrape(f"http://127.0.0.1:{tracking.worker_metrics['production']}/metrics")
    assert value(kitchen, "event_handler_duration_seconds_count", event_name="order-paid")
    assert value(kitchen, "sqs_message_age_seconds_count", queue="production-service-queue")
