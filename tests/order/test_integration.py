"""Order service against real Postgres (migrations applied) and the moto server."""

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from common.events import (
    PaymentApproved,
    PaymentCreated,
    PaymentRejected,
    ProductionCompleted,
    ProductionDelivered,
    ProductionStarted,
)
from common.messaging import SqsPublisher
from common.outbox import OutboxRelay
from order import repository as repo
from order.service import handle_order_event
from tests.conftest import AwsResources
from tests.order.conftest import RETIRED, event, outbox_events, place
from tests.tokens import TOKENS

pytestmark = pytest.mark.integration


async def test_order_is_priced_from_the_catalog_and_requests_payment_in_the_same_transaction(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "cust-1")
    assert order["status"] == "AWAITING_PAYMENT"
    assert order["total"] == "59.30"
    assert order["display_number"].startswith("A-")
    assert [(i["name"], i["unit_price"], i["quantity"]) for i in order["items"]] == [
        ("X-Burger", "25.90", 2),
        ("Refrigerante", "7.50", 1),
    ]
    assert await outbox_events(app) == ["order-payment-requested"]


async def test_unknown_product_is_a_422_and_creates_nothing(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    response = await client.post(
        "/order",
        json={"items": [{"product_id": str(RETIRED), "quantity": 1}]},
        headers=TOKENS.headers("customer"),
    )
    assert response.status_code == 422
    assert response.json()["detail"]["product_ids"] == [str(RETIRED)]
    assert await outbox_events(app) == []


async def test_idempotency_key_returns_the_first_order(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    first = await place(client, "cust-2", **{"Idempotency-Key": "totem-7-42"})
    again = await place(client, "cust-2", **{"Idempotency-Key": "totem-7-42"})
    assert again["id"] == first["id"]
    assert await outbox_events(app) == ["order-payment-requested"]


async def test_full_status_path_with_duplicates_and_stale_events(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "cust-3")
    sessions = app.state.sessions
    approved = event(order["id"], PaymentApproved)
    started = event(order["id"], ProductionStarted)
    for envelope in (
        event(order["id"], PaymentCreated),
        approved,
        approved,
        event(order["id"], ProductionCompleted),
        started,  # started arrives late
        event(order["id"], ProductionDelivered),
    ):
        await handle_order_event(sessions, envelope)
    staff = TOKENS.headers("staff")
    view = (await client.get(f"/order/{order['id']}", headers=staff)).json()
    assert view["status"] == "DELIVERED"
    assert view["payment"]["qr_code"] == "000201"
    history = (await client.get(f"/order/{order['id']}/history", headers=staff)).json()
    assert [h["status"] for h in history] == ["AWAITING_PAYMENT", "PAID", "READY", "DELIVERED"]
    assert await outbox_events(app) == ["order-payment-requested", "order-paid"]


async def test_rejected_payment_cancels_and_a_late_approval_is_flagged_for_refund(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "cust-4")
    await handle_order_event(app.state.sessions, event(order["id"], PaymentRejected))
    await handle_order_event(app.state.sessions, event(order["id"], PaymentApproved))
    view = (await client.get(f"/order/{order['id']}", headers=TOKENS.headers("staff"))).json()
    assert view["status"] == "CANCELLED"
    assert view["needs_refund"] is True
    assert await outbox_events(app) == [
        "order-payment-requested",
        "order-cancelled",
        "order-cancelled",
    ]  # one row per destination queue


async def test_customers_see_only_their_own_orders(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, _ = app_client
    order = await place(client, "owner")
    assert (
        await client.get(f"/order/{order['id']}", headers=TOKENS.headers("customer", sub="owner"))
    ).status_code == 200
    assert (
        await client.get(f"/order/{order['id']}", headers=TOKENS.headers("customer", sub="other"))
    ).status_code == 403
    assert (await client.get(f"/order/{order['id']}")).status_code == 401
    assert (await client.get("/order", headers=TOKENS.headers("customer"))).status_code == 403
    mine = (await client.get("/order/mine", headers=TOKENS.headers("customer", sub="owner"))).json()
    assert [o["id"] for o in mine] == [order["id"]]


async def test_staff_list_puts_ready_orders_first(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    waiting, ready = await place(client, "c5"), await place(client, "c6")
    for kind in (PaymentApproved, ProductionCompleted):
        await handle_order_event(app.state.sessions, event(ready["id"], kind))
    listed = (await client.get("/order", headers=TOKENS.headers("staff"))).json()
    assert [o["id"] for o in listed][:2] == [ready["id"], waiting["id"]]


async def test_relay_publishes_outbox_rows_once_to_the_right_queue(
    app_client: tuple[httpx.AsyncClient, Any], aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    client, app = app_client
    order = await place(client, "c7")
    relay = OutboxRelay(
        app.state.sessions,
        repo.outbox,
        SqsPublisher(aio_clients["sqs"]),
        {
            "payment": aws.queues["payment"],
            "order": aws.queues["order"],
            "production": aws.queues["production"],
        },
    )
    assert await relay.publish_outbox_batch() == 1
    assert await relay.publish_outbox_batch() == 0
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=aws.queues["payment"])["QueueUrl"]
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    body = json.loads(messages[0]["Body"])
    assert len(messages) == 1
    assert body["meta"]["event_name"] == "order-payment-requested"
    assert body["payload"]["order_id"] == order["id"]
    assert Decimal(body["payload"]["amount"]) == Decimal("59.30")
    assert (
        messages[0]["MessageAttributes"]["event_name"]["StringValue"] == "order-payment-requested"
    )
    async with app.state.sessions() as session:
        pending = (
            await session.execute(
                select(func.count()).select_from(repo.outbox).where(repo.outbox.c.sent_at.is_(None))
            )
        ).scalar_one()
    assert pending == 0


async def test_relay_keeps_rows_while_sqs_is_unreachable(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    import aioboto3

    client, app = app_client
    await place(client, "c8")
    session = aioboto3.Session(region_name="us-east-1")
    async with session.client("sqs", endpoint_url="http://127.0.0.1:9") as dead_sqs:
        relay = OutboxRelay(
            app.state.sessions,
            repo.outbox,
            SqsPublisher(dead_sqs),
            {"payment": "payment-service-queue"},
        )
        assert await relay.publish_outbox_batch() == 0
    async with app.state.sessions() as db:
        row = (await db.execute(select(repo.outbox))).mappings().one()
    assert row["sent_at"] is None
    assert row["attempts"] == 1
    assert row["next_attempt_at"] > row["created_at"]
