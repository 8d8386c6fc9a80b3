"""One order, one trace: traceparent through the outbox, SQS attributes and HTTP."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from common import tracing
from common.db import make_engine, make_session_factory, transaction
from common.dynamo import DynamoOutboxRelay, outbox_puts, transact
from common.events import (
    Customer,
    Envelope,
    Event,
    OrderPaymentRequested,
    PaymentApproved,
    new_envelope,
)
from common.logging import set_correlation_id
from common.messaging import Consumer, SqsPublisher
from common.outbox import OutboxRelay, add_to_outbox
from common.web import create_service_app
from infra.local.postgres import LocalPostgres
from order import repository as order_repo
from order.main import migrate
from order.settings import Settings as OrderSettings
from tests.conftest import AwsResources, fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.provider().add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # later tests' spans are dropped, not kept in memory


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    exporter.clear()
    return exporter


def payment_requested(correlation_id: uuid.UUID) -> Envelope[Any]:
    event = OrderPaymentRequested(
        order_id=uuid.uuid4(),
        display_number="A-007",
        amount="12.50",
        customer=Customer(id="c1"),
        items=[{"name": "X-Burger", "quantity": 1, "unit_price": "12.50"}],
    )
    return new_envelope(event, source="order-service", correlation_id=correlation_id)


async def consume(
    aws: AwsResources, sqs: Any, service: str, event_name: str
) -> list[trace.SpanContext]:
    """Receive what is waiting on `service`'s queue and run it through the Consumer."""
    seen: list[trace.SpanContext] = []

    async def handler(_: Envelope[Event]) -> None:
        seen.append(trace.get_current_span().get_span_context())

    consumer = Consumer(sqs, aws.queues[service], {event_name: handler}, wait_seconds=1)
    url = (await sqs.get_queue_url(QueueName=aws.queues[service]))["QueueUrl"]
    received = await sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
    )
    await consumer.handle_batch(url, received.get("Messages", []))
    return seen


def named(spans: InMemorySpanExporter, prefix: str) -> ReadableSpan:
    return next(s for s in spans.get_finished_spans() if s.name.startswith(prefix))


async def test_consumer_span_continues_the_trace_of_the_request_that_staged_the_event(
    postgres: LocalPostgres,
    aws: AwsResources,
    aio_clients: dict[str, Any],
    spans: InMemorySpanExporter,
) -> None:
    settings = OrderSettings(database_url=await fresh_database(postgres, "order"))
    migrate(settings)
    engine = make_engine(settings.database_url or "", pool_size=2)
    sessions = make_session_factory(engine)
    correlation = uuid.uuid4()
    set_correlation_id(str(correlation))  # as the request middleware does
    with tracing.tracer().start_as_current_span("POST /order") as request_span:
        async with transaction(sessions) as session:
            await add_to_outbox(session, order_repo.outbox, payment_requested(correlation))
    set_correlation_id(None)
    relay = OutboxRelay(sessions, order_repo.outbox, SqsPublisher(aio_clients["sqs"]), aws.queues)
    assert await relay.publish_outbox_batch() == 1
    seen = await consume(aws, aio_clients["sqs"], "payment", "order-payment-requested")
    await engine.dispose()

    producer = request_span.get_span_context()
    assert producer.trace_id == correlation.int  # the trace id is the correlation id
    assert [s.trace_id for s in seen] == [producer.trace_id]
    publish, process = named(spans, "publish"), named(spans, "process")
    assert publish.parent is not None and publish.parent.span_id == producer.span_id
    assert process.parent is not None and process.parent.span_id == publish.context.span_id
    assert process.kind is trace.SpanKind.CONSUMER


async def test_event_staged_outside_its_order_trace_joins_it_with_a_link(
    aws: AwsResources, aio_clients: dict[str, Any], spans: InMemorySpanExporter
) -> None:
    """A Mercado Pago webhook (or a staff click) is a trace of its own; the event it causes
    belongs to the order's trace, linked back to that request."""
    order_correlation, webhook_correlation = uuid.uuid4(), uuid.uuid4()
    approved = new_envelope(
        PaymentApproved(
            order_id=uuid.uuid4(),
            payment_id="123",
            amount="12.50",
            approved_at="2026-01-01T12:00:00Z",
        ),
        source="payment-service",
        correlation_id=order_correlation,
    )
    dynamodb = aio_clients["dynamodb"]
    set_correlation_id(str(webhook_correlation))
    with tracing.tracer().start_as_current_span("POST /payment/webhook") as webhook_span:
        await transact(dynamodb, outbox_puts(aws.tables["payment-outbox"], approved))
    set_correlation_id(None)
    relay = DynamoOutboxRelay(
        dynamodb, aws.tables["payment-outbox"], SqsPublisher(aio_clients["sqs"]), aws.queues
    )
    assert await relay.publish_outbox_batch() == 1
    seen = await consume(aws, aio_clients["sqs"], "order", "payment-approved")

    assert [s.trace_id for s in seen] == [order_correlation.int]
    stage = named(spans, "stage payment-approved")
    assert stage.context.trace_id == order_correlation.int
    assert [link.context.span_id for link in stage.links] == [
        webhook_span.get_span_context().span_id
    ]


async def test_http_requests_join_the_callers_trace_or_start_one_named_by_correlation_id(
    spans: InMemorySpanExporter,
) -> None:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, str | None]:
        return {"traceparent": tracing.current_traceparent()}

    app = create_service_app(name="demo", prefix="/demo", routers=[router])
    caller = tracing.format_traceparent(
        trace.SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=trace.TraceFlags(1))
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        joined = await client.get("/demo/items/1", headers={"traceparent": caller})
        fresh = await client.get("/demo/items/2")
    joined_parent = tracing.parse_traceparent(joined.json()["traceparent"])
    assert joined_parent is not None and joined_parent.trace_id == 0xABC
    # Only a traceparent: its trace id becomes the request's correlation id.
    assert uuid.UUID(joined.headers["x-correlation-id"]).int == 0xABC
    fresh_parent = tracing.parse_traceparent(fresh.json()["traceparent"])
    assert fresh_parent is not None
    assert fresh_parent.trace_id == uuid.UUID(fresh.headers["x-correlation-id"]).int
    server = named(spans, "GET /demo/items/{item_id}")
    assert server.kind is trace.SpanKind.SERVER
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 200
