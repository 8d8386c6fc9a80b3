"""Refunds, charge-backs and failed payment creation reach the order (real Postgres)."""

from typing import Any

import httpx
import pytest

from common.events import (
    PaymentApproved,
    PaymentChargedBack,
    PaymentCreationFailed,
    PaymentRefunded,
    PaymentRejected,
    ProductionStarted,
)
from order.service import handle_order_event
from tests.order.conftest import event, outbox_events, place
from tests.tokens import TOKENS

pytestmark = pytest.mark.integration
STAFF = TOKENS.headers("staff")


async def staff_view(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    view: dict[str, Any] = (await client.get(f"/order/{order_id}", headers=STAFF)).json()
    return view


async def notes(client: httpx.AsyncClient, order_id: str) -> list[tuple[str, str | None]]:
    rows = (await client.get(f"/order/{order_id}/history", headers=STAFF)).json()
    return [(h["status"], h["note"]) for h in rows]


async def test_a_wrong_amount_is_never_released_to_the_kitchen(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "m1")
    refunded = event(order["id"], PaymentRefunded, amount="10.00", reason="amount_mismatch")
    for envelope in (refunded, refunded):  # a redelivery is handled once (inbox)
        await handle_order_event(app.state.sessions, envelope)
    view = await staff_view(client, order["id"])
    assert (view["status"], view["cancel_reason"], view["refunded"]) == (
        "CANCELLED",
        "amount_mismatch",
        True,
    )
    assert await notes(client, order["id"]) == [
        ("AWAITING_PAYMENT", None),
        ("CANCELLED", "amount_mismatch"),
        ("CANCELLED", "refunded: 10.00 (amount_mismatch, payment 77)"),
    ]
    events = await outbox_events(app)
    assert "order-paid" not in events
    assert events.count("order-cancelled") == 2  # production and payment, once each
    await handle_order_event(app.state.sessions, event(order["id"], PaymentApproved))
    assert (await staff_view(client, order["id"]))["status"] == "CANCELLED"  # no resurrection
    assert "order-paid" not in await outbox_events(app)


async def test_a_late_approval_refund_keeps_the_order_cancelled_and_says_refunded(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "m2")
    for envelope in (
        event(order["id"], PaymentRejected),
        event(order["id"], PaymentApproved),
        event(order["id"], PaymentRefunded, reason="late_approval"),
    ):
        await handle_order_event(app.state.sessions, envelope)
    view = await staff_view(client, order["id"])
    assert (view["status"], view["refunded"], view["needs_refund"]) == ("CANCELLED", True, True)
    assert (await notes(client, order["id"]))[-1] == (
        "CANCELLED",
        "refunded: 59.30 (late_approval, payment 77)",
    )
    assert "order-paid" not in await outbox_events(app)


async def test_refund_and_charge_back_after_approval_are_flagged_and_keep_the_status(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "m3")
    charged_back = event(order["id"], PaymentChargedBack)
    for envelope in (
        event(order["id"], PaymentApproved),
        event(order["id"], ProductionStarted),
        event(order["id"], PaymentRefunded, reason="refunded_at_provider"),
        charged_back,
        charged_back,
    ):
        await handle_order_event(app.state.sessions, envelope)
    view = await staff_view(client, order["id"])
    assert (view["status"], view["refunded"], view["charged_back"]) == (
        "IN_PREPARATION",
        True,
        True,
    )
    assert (await notes(client, order["id"]))[-2:] == [
        ("IN_PREPARATION", "refunded: 59.30 (refunded_at_provider, payment 77)"),
        ("IN_PREPARATION", "charged back: 59.30 (payment 77)"),
    ]
    listed = (await client.get("/order", headers=STAFF)).json()
    assert next(o for o in listed if o["id"] == order["id"])["charged_back"] is True


async def test_payment_creation_that_gave_up_cancels_the_order_and_tells_the_others(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "m4")
    failed = event(order["id"], PaymentCreationFailed)
    for envelope in (failed, failed):
        await handle_order_event(app.state.sessions, envelope)
    view = await staff_view(client, order["id"])
    assert view["status"] == "CANCELLED"
    assert view["cancel_reason"] == (
        "payment-creation-failed: mercado pago unavailable for 20 minutes"
    )
    assert (await outbox_events(app)).count("order-cancelled") == 2
