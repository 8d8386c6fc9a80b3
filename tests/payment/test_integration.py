"""The payment service against moto (DynamoDB, SQS, Secrets Manager) and the simulator."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from common.dynamo import DynamoOutboxRelay
from common.events import (
    Customer,
    Envelope,
    OrderCancelled,
    OrderPaymentRequested,
    PoisonMessage,
    new_envelope,
)
from common.messaging import Consumer, SqsPublisher
from infra.local.mercadopago_simulator import sign_webhook
from infra.local.processes import free_port
from payment import consumer
from payment.credentials import load_credentials
from payment.gateway import PixCharge
from payment.main import build_ports, create_app
from payment.reconciler import reconcile_once
from payment.settings import Settings
from tests.conftest import AwsResources
from tests.payment.conftest import ACCESS_TOKEN, WEBHOOK_SECRET, ServerThread
from tests.tokens import AUDIENCE, ISSUER, TOKENS

pytestmark = pytest.mark.integration
UNREACHABLE = "http://127.0.0.1:9/payment/webhook"


def settings_for(
    aws: AwsResources,
    simulator: ServerThread,
    notification_url: str = UNREACHABLE,
    **overrides: Any,
) -> Settings:
    fields: dict[str, Any] = {
        "aws_endpoint_url": aws.endpoint_url,
        "payment_queue_name": aws.queues["payment"],
        "order_queue_name": aws.queues["order"],
        "production_queue_name": aws.queues["production"],
        "payments_table": aws.tables["payment-payments"],
        "outbox_table": aws.tables["payment-outbox"],
        "inbox_table": aws.tables["payment-inbox"],
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "mercadopago_base_url": simulator.url,
        "mercadopago_access_token": ACCESS_TOKEN,
        "mercadopago_webhook_secret": WEBHOOK_SECRET,
        "notification_url": notification_url,
        "queue_wait_seconds": 1,
    }
    return Settings(**(fields | overrides))


def payment_requested(customer_id: str | None = None) -> Envelope[OrderPaymentRequested]:
    event = OrderPaymentRequested(
        order_id=uuid.uuid4(),
        display_number="42",
        amount="35.80",
        customer=Customer(
            id=customer_id or str(uuid.uuid4()),
            name="Ana Souza",
            email="ana@example.com",
            cpf="52998224725",
        ),
        items=[{"name": "X-Burger", "quantity": 2, "unit_price": "17.90"}],
    )
    return new_envelope(event, source="order-service")


def order_cancelled(order_id: uuid.UUID) -> Envelope[OrderCancelled]:
    return new_envelope(
        OrderCancelled(order_id=order_id, reason="payment timeout"), source="order-service"
    )


def outbox(aws: AwsResources) -> list[dict[str, Any]]:
    items = aws.client("dynamodb").scan(TableName=aws.tables["payment-outbox"])["Items"]
    return sorted(
        (json.loads(i["body"]["S"]) for i in items), key=lambda e: e["meta"]["occurred_at"]
    )


def outbox_names(aws: AwsResources) -> list[str]:
    return [event["meta"]["event_name"] for event in outbox(aws)]


def simulated(simulator: ServerThread, order_id: uuid.UUID) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{simulator.url}/simulator/payments", params={"external_reference": str(order_id)}
    )
    return list(response.json()["results"])


async def control(simulator: ServerThread, payment_id: str, action: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{simulator.url}/simulator/payments/{payment_id}/{action}")
    response.raise_for_status()
    return dict(response.json())


async def sim(simulator: ServerThread, method: str, path: str, **kwargs: Any) -> Any:
    """Call the simulator's control API (behaviours, stats, actions)."""
    async with httpx.AsyncClient() as client:
        response = await client.request(method, f"{simulator.url}{path}", **kwargs)
    response.raise_for_status()
    return response.json()


async def webhook(
    client: httpx.AsyncClient,
    payment_id: str,
    *,
    secret: str = WEBHOOK_SECRET,
    ts_ms: int | None = None,
    kind: str = "payment",
) -> httpx.Response:
    """Deliver a signed notification, then run one reconciler pass as the worker would."""
    request_id = str(uuid.uuid4())
    signature = sign_webhook(secret, payment_id, request_id, ts_ms or int(time.time() * 1000))
    response = await client.post(
        "/payment/webhook",
        params={"data.id": payment_id, "type": kind},
        json={"action": "payment.updated", "data": {"id": payment_id}, "type": kind},
        headers={"x-signature": signature, "x-request-id": request_id},
    )
    await worker_pass(client)
    return response


async def worker_pass(client: httpx.AsyncClient) -> None:
    """One pass of the payment worker's reconciler over what is due now."""
    app: FastAPI = client.app  # type: ignore[attr-defined]  # set by the service fixture
    await reconcile_once(app.state.ports, 50)


@pytest.fixture
async def service(
    aws: AwsResources, simulator: ServerThread
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings_for(aws, simulator), key_source=TOKENS.key_source)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.app = app  # type: ignore[attr-defined]  # for worker_pass
        yield app, client


async def request_payment(app: FastAPI, envelope: Envelope[Any]) -> None:
    await consumer.handlers(app.state.ports)[envelope.meta.event_name](envelope)


async def created_payment(app: FastAPI, customer_id: str | None = None) -> dict[str, Any]:
    envelope = payment_requested(customer_id)
    await request_payment(app, envelope)
    payment = await app.state.ports.repository.find_by_order(str(envelope.payload.order_id))
    assert payment is not None
    return {
        "order_id": envelope.payload.order_id,
        "payment_id": payment.payment_id,
        "customer_id": envelope.payload.customer.id,
    }


async def test_payment_request_creates_a_pix_payment_and_announces_it(
    aws: AwsResources,
    simulator: ServerThread,
    service: tuple[FastAPI, httpx.AsyncClient],
    aio_clients: dict[str, Any],
) -> None:
    app, _ = service
    envelope = payment_requested()
    await request_payment(app, envelope)

    payment = await app.state.ports.repository.find_by_order(str(envelope.payload.order_id))
    assert payment is not None and payment.status == "PENDING"
    assert (str(payment.amount), payment.customer_id) == ("35.80", envelope.payload.customer.id)
    [remote] = simulated(simulator, envelope.payload.order_id)
    assert str(remote["id"]) == payment.payment_id and remote["transaction_amount"] == 35.8
    assert remote["payer"]["identification"] == {"type": "CPF", "number": "52998224725"}
    assert remote["notification_url"] == UNREACHABLE

    relay = DynamoOutboxRelay(
        aio_clients["dynamodb"],
        aws.tables["payment-outbox"],
        SqsPublisher(aio_clients["sqs"]),
        aws.queues,
    )
    assert await relay.publish_outbox_batch() == 1
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=aws.queues["order"])["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    published = json.loads(message["Body"])
    assert published["meta"]["event_name"] == "payment-created"
    assert published["meta"]["correlation_id"] == str(envelope.meta.correlation_id)
    assert published["meta"]["causation_id"] == str(envelope.meta.event_id)
    assert published["payload"]["payment_id"] == payment.payment_id
    assert published["payload"]["qr_code"].startswith("000201")
    assert published["payload"]["amount"] == "35.80"
    assert outbox_names(aws) == []


async def test_duplicate_payment_request_creates_one_payment_and_one_event(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, _ = service
    envelope = payment_requested()
    redelivery_of_another_event = new_envelope(envelope.payload, source="order-service")
    await asyncio.gather(request_payment(app, envelope), request_payment(app, envelope))
    await request_payment(app, envelope)
    await request_payment(app, redelivery_of_another_event)
    assert len(simulated(simulator, envelope.payload.order_id)) == 1
    assert outbox_names(aws) == ["payment-created"]


async def test_payment_requests_arrive_through_the_queue(
    aws: AwsResources, service: tuple[FastAPI, httpx.AsyncClient], aio_clients: dict[str, Any]
) -> None:
    app, _ = service
    envelope = payment_requested()
    await SqsPublisher(aio_clients["sqs"]).publish(aws.queues["payment"], envelope)
    queue_consumer = Consumer(
        aio_clients["sqs"],
        aws.queues["payment"],
        consumer.handlers(app.state.ports),
        wait_seconds=1,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(queue_consumer.run(stop))
    for _ in range(100):  # up to 10 s
        if outbox_names(aws):
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert outbox_names(aws) == ["payment-created"]


async def test_signed_webhook_after_approval_publishes_payment_approved_once(
    aws: AwsResources, simulator: ServerThread, aio_clients: dict[str, Any]
) -> None:
    port = free_port()
    settings = settings_for(aws, simulator, f"http://127.0.0.1:{port}/payment/webhook")
    with ServerThread(create_app(settings, key_source=TOKENS.key_source), port):
        ports = await build_ports(settings, aio_clients["dynamodb"])
        envelope = payment_requested()
        await consumer.handlers(ports)["order-payment-requested"](envelope)
        payment = await ports.repository.find_by_order(str(envelope.payload.order_id))
        assert payment is not None

        approved = await control(simulator, payment.payment_id, "approve")
        assert approved["webhook_status"] == 200
        await reconcile_once(ports, 50)
        again = await control(simulator, payment.payment_id, "notify")  # Mercado Pago retries
        assert again["webhook_status"] == 200
        await reconcile_once(ports, 50)

    stored = await ports.repository.get(payment.payment_id)
    assert stored is not None and stored.status == "APPROVED" and stored.check_at is None
    events = outbox(aws)
    assert [e["meta"]["event_name"] for e in events] == ["payment-created", "payment-approved"]
    assert events[1]["payload"]["amount"] == "35.80"
    assert events[1]["meta"]["correlation_id"] == str(envelope.meta.correlation_id)


async def test_concurrent_duplicate_webhooks_produce_one_event(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "approve")
    responses = await asyncio.gather(*(webhook(client, created["payment_id"]) for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert {r.json()["status"] for r in responses} == {"ok"}
    assert outbox_names(aws) == ["payment-created", "payment-approved"]


@pytest.mark.parametrize(
    ("action", "event", "reason"),
    [
        ("reject", "payment-rejected", "cc_rejected_other_reason"),
        ("expire", "payment-expired", "expired"),
    ],
)
async def test_rejected_or_expired_payment_tells_the_order_why(
    aws: AwsResources,
    simulator: ServerThread,
    service: tuple[FastAPI, httpx.AsyncClient],
    action: str,
    event: str,
    reason: str,
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], action)
    assert (await webhook(client, created["payment_id"])).status_code == 200
    last = outbox(aws)[-1]
    assert last["meta"]["event_name"] == event
    assert last["payload"] == {
        "order_id": str(created["order_id"]),
        "payment_id": created["payment_id"],
        "reason": reason,
    }


async def test_approval_after_expiry_is_refunded_and_announced_as_a_refund(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "expire")
    await webhook(client, created["payment_id"])
    await control(simulator, created["payment_id"], "approve")
    assert (await webhook(client, created["payment_id"])).status_code == 200
    stored = await app.state.ports.repository.get(created["payment_id"])
    assert (stored.status, stored.late_approval, stored.needs_refund) == ("REFUNDED", True, False)
    assert outbox_names(aws) == ["payment-created", "payment-expired", "payment-refunded"]
    assert outbox(aws)[-1]["payload"]["reason"] == "late_approval"
    [remote] = simulated(simulator, created["order_id"])
    assert remote["status"] == "refunded" and len(remote["refunds"]) == 1


async def test_approval_of_another_amount_is_refunded_never_approved(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await sim(
        simulator,
        "POST",
        f"/simulator/payments/{created['payment_id']}/approve",
        params={"amount": 1.0},
    )
    await webhook(client, created["payment_id"])
    assert outbox_names(aws) == ["payment-created", "payment-refunded"]
    refunded = outbox(aws)[-1]["payload"]
    assert (refunded["reason"], refunded["amount"]) == ("amount_mismatch", "1.00")


@pytest.mark.parametrize(
    ("action", "event"),
    [("refund", "payment-refunded"), ("chargeback", "payment-charged-back")],
)
async def test_refund_or_chargeback_at_mercadopago_after_approval_reaches_the_order(
    aws: AwsResources,
    simulator: ServerThread,
    service: tuple[FastAPI, httpx.AsyncClient],
    action: str,
    event: str,
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "approve")
    await webhook(client, created["payment_id"])
    await control(simulator, created["payment_id"], action)
    await webhook(client, created["payment_id"])
    assert outbox_names(aws) == ["payment-created", "payment-approved", event]
    if action == "refund":
        assert outbox(aws)[-1]["payload"]["reason"] == "refunded_at_provider"


async def test_forged_signature_is_refused_but_mercadopago_is_asked_once(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "approve")
    forged = await webhook(client, created["payment_id"], secret="guessed-secret")
    assert forged.status_code == 401
    assert set(forged.json()) == {"error", "detail", "correlation_id"}
    # The body was not trusted: the state is Mercado Pago's, fetched by the worker.
    stored = await app.state.ports.repository.get(created["payment_id"])
    assert stored.status == "APPROVED"
    assert outbox_names(aws) == ["payment-created", "payment-approved"]
    # A flood is rate-limited: a second forged notification right after schedules nothing.
    again = await webhook(client, created["payment_id"], secret="guessed-secret")
    assert again.status_code == 401
    assert (await app.state.ports.repository.get(created["payment_id"])).check_at is None


async def test_ipn_and_unsigned_notifications_of_a_known_payment_are_accepted(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "approve")
    ipn = await client.post(
        "/payment/webhook", params={"topic": "payment", "id": created["payment_id"]}
    )
    assert (ipn.status_code, ipn.json()) == (200, {"status": "ok"})
    await worker_pass(client)
    assert outbox_names(aws) == ["payment-created", "payment-approved"]
    unknown = await client.post("/payment/webhook", params={"topic": "payment", "id": "999"})
    assert unknown.status_code == 404


async def test_stale_signature_is_refused(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    ten_minutes_ago = int(time.time() * 1000) - 600_000
    response = await webhook(client, created["payment_id"], ts_ms=ten_minutes_ago)
    assert response.status_code == 401
    assert outbox_names(aws) == ["payment-created"]


async def test_webhook_for_a_payment_unknown_here_or_at_mercadopago_is_404(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    assert (await webhook(client, "999")).status_code == 404
    foreign = await app.state.ports.gateway.create_pix(charge_for_another_order())
    assert (await webhook(client, foreign.payment_id)).status_code == 404
    assert outbox_names(aws) == []


def charge_for_another_order() -> PixCharge:
    return PixCharge(
        order_id=str(uuid.uuid4()),
        amount=Decimal("1.00"),
        description="other",
        payer_email="x@example.com",
        payer_first_name=None,
        payer_cpf=None,
        notification_url=UNREACHABLE,
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )


async def test_notifications_about_other_topics_are_ignored(
    service: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = service
    response = await webhook(client, "777", kind="merchant_order")
    assert (response.status_code, response.json()) == (200, {"status": "ignored"})


async def test_cancelled_order_cancels_the_pending_payment_without_rejecting_it(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    cancelled = order_cancelled(created["order_id"])
    await request_payment(app, cancelled)
    await request_payment(app, cancelled)  # redelivered
    stored = await app.state.ports.repository.get(created["payment_id"])
    assert (stored.status, stored.status_detail) == ("CANCELLED", "by_collector")
    [remote] = simulated(simulator, created["order_id"])
    assert remote["status"] == "cancelled"
    assert (await webhook(client, created["payment_id"])).status_code == 200
    assert outbox_names(aws) == ["payment-created"]


async def test_order_cancelled_before_its_payment_request_is_never_charged(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, _ = service
    requested = payment_requested()
    await request_payment(app, order_cancelled(requested.payload.order_id))
    await request_payment(app, requested)
    assert simulated(simulator, requested.payload.order_id) == []
    assert outbox_names(aws) == []


async def test_owner_and_staff_read_a_payment_others_cannot(
    service: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = service
    created = await created_payment(app, customer_id="customer-1")
    by_id, by_order = f"/payment/{created['payment_id']}", f"/payment/order/{created['order_id']}"
    for path in (by_id, by_order):
        owner = await client.get(path, headers=TOKENS.headers("customer", sub="customer-1"))
        assert owner.status_code == 200
        assert set(owner.json()) == {
            "payment_id",
            "order_id",
            "status",
            "status_detail",
            "amount",
            "qr_code",
            "qr_code_base64",
            "expires_at",
            "created_at",
            "updated_at",
        }
        assert owner.json()["amount"] == "35.80" and owner.json()["status"] == "PENDING"
        assert (await client.get(path, headers=TOKENS.headers("staff"))).status_code == 200
        assert (await client.get(path, headers=TOKENS.headers("admin"))).status_code == 200
        other = await client.get(path, headers=TOKENS.headers("customer", sub="customer-2"))
        assert other.status_code == 403
        assert (await client.get(path)).status_code == 401
    missing = [f"/payment/{uuid.uuid4().int % 10**9}", f"/payment/order/{uuid.uuid4()}"]
    for path in missing:
        assert (await client.get(path, headers=TOKENS.headers("staff"))).status_code == 404
    bad = await client.get("/payment/order/not-a-uuid", headers=TOKENS.headers("staff"))
    assert bad.status_code == 422


async def test_ready_checks_the_payments_table(service: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = service
    assert (await client.get("/payment/ready")).status_code == 200


async def test_credentials_come_from_secrets_manager_unless_overridden(
    aws: AwsResources, simulator: ServerThread
) -> None:
    name = f"{aws.prefix}mercadopago"
    aws.client("secretsmanager").create_secret(
        Name=name,
        SecretString=json.dumps(
            {"access_token": "TEST-from-secret", "webhook_secret": "secret-from-secret"}
        ),
    )
    stored = settings_for(
        aws,
        simulator,
        mercadopago_secret_name=name,
        mercadopago_access_token=None,
        mercadopago_webhook_secret=None,
    )
    credentials = await load_credentials(stored)
    assert (credentials.access_token, credentials.webhook_secret) == (
        "TEST-from-secret",
        "secret-from-secret",
    )
    overridden = await load_credentials(settings_for(aws, simulator, mercadopago_secret_name=name))
    assert (overridden.access_token, overridden.webhook_secret) == (ACCESS_TOKEN, WEBHOOK_SECRET)


async def test_order_cancelled_after_the_customer_paid_refunds_the_payment(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "approve")  # its webhook is not delivered
    await request_payment(app, order_cancelled(created["order_id"]))
    stored = await app.state.ports.repository.get(created["payment_id"])
    assert (stored.status, stored.late_approval, stored.needs_refund) == ("REFUNDED", True, False)
    assert (await webhook(client, created["payment_id"])).status_code == 200
    assert outbox_names(aws) == ["payment-created", "payment-refunded"]
    assert outbox(aws)[-1]["payload"]["reason"] == "late_approval"


async def test_order_cancelled_after_approval_refunds_the_payment(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "approve")
    await webhook(client, created["payment_id"])
    await request_payment(app, order_cancelled(created["order_id"]))
    stored = await app.state.ports.repository.get(created["payment_id"])
    assert (stored.status, stored.needs_refund) == ("REFUNDED", False)
    assert outbox_names(aws) == ["payment-created", "payment-approved", "payment-refunded"]


async def test_payment_that_mercadopago_refuses_is_poison(
    aws: AwsResources, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, _ = service
    envelope = payment_requested()
    free = new_envelope(
        envelope.payload.model_copy(update={"amount": Decimal("0.00")}), source="order-service"
    )
    with pytest.raises(PoisonMessage):
        await request_payment(app, free)
    assert outbox_names(aws) == []


async def test_webhook_answers_fast_whatever_mercadopagos_latency(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = service
    created = await created_payment(app)
    await control(simulator, created["payment_id"], "approve")
    await sim(simulator, "POST", "/simulator/behaviour", json={"latency_seconds": 8})
    try:
        request_id = str(uuid.uuid4())
        signature = sign_webhook(
            WEBHOOK_SECRET, created["payment_id"], request_id, int(time.time() * 1000)
        )
        started = time.monotonic()
        response = await client.post(
            "/payment/webhook",
            params={"data.id": created["payment_id"], "type": "payment"},
            headers={"x-signature": signature, "x-request-id": request_id},
        )
        elapsed = time.monotonic() - started
    finally:
        await sim(simulator, "DELETE", "/simulator/behaviour")
    print(f"webhook answered in {elapsed * 1000:.0f} ms with an 8 s Mercado Pago latency")
    assert response.status_code == 200 and elapsed < 1.0
    await worker_pass(client)  # the worker does the slow part
    assert outbox_names(aws) == ["payment-created", "payment-approved"]


async def test_creation_through_an_outage_is_pending_then_created_once(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, _ = service
    envelope = payment_requested()
    await sim(simulator, "POST", "/simulator/behaviour", json={"down_for_seconds": 60})
    try:
        await request_payment(app, envelope)  # acknowledged: the request is durably pending
        await request_payment(app, envelope)  # a redelivery changes nothing
        assert (
            await app.state.ports.repository.find_by_order(str(envelope.payload.order_id)) is None
        )
    finally:
        await sim(simulator, "DELETE", "/simulator/behaviour")
    ports = app.state.ports
    later = ports.clock() + timedelta(seconds=5)
    await reconcile_once(replace(ports, clock=lambda: later), 50)
    assert await ports.repository.find_by_order(str(envelope.payload.order_id)) is not None
    assert outbox_names(aws) == ["payment-created"]
    stats = await sim(simulator, "GET", "/simulator/stats")
    assert stats["payments_per_key"][str(envelope.payload.order_id)] == 1


async def test_creation_given_up_past_the_horizon_tells_the_order(
    aws: AwsResources, simulator: ServerThread, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, _ = service
    envelope = payment_requested()
    await sim(simulator, "POST", "/simulator/behaviour", json={"down_for_seconds": 60})
    try:
        await request_payment(app, envelope)
        ports = app.state.ports
        past_horizon = ports.clock() + ports.creation_horizon + timedelta(seconds=1)
        await reconcile_once(replace(ports, clock=lambda: past_horizon), 50)
    finally:
        await sim(simulator, "DELETE", "/simulator/behaviour")
    assert outbox_names(aws) == ["payment-creation-failed"]
    assert "unavailable" in outbox(aws)[-1]["payload"]["reason"]
