"""Customer cancellation against real Postgres, through the order API."""

from typing import Any

import httpx
import pytest

from common.events import PaymentApproved
from order.service import handle_order_event
from tests.order.conftest import event, outbox_events, place
from tests.tokens import TOKENS

pytestmark = pytest.mark.integration


def owner(sub: str = "owner-c") -> dict[str, str]:
    return TOKENS.headers("customer", sub=sub)


async def test_the_owner_cancels_an_unpaid_order_and_order_cancelled_is_staged(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "owner-c")
    cancelled = await client.post(f"/order/{order['id']}/cancel", headers=owner())
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED"
    assert cancelled.json()["cancel_reason"] == "customer_cancelled"
    again = await client.post(f"/order/{order['id']}/cancel", headers=owner())
    assert (again.status_code, again.json()["status"]) == (200, "CANCELLED")  # idempotent
    history = (await client.get(f"/order/{order['id']}/history", headers=owner())).json()
    assert [(h["status"], h["note"]) for h in history] == [
        ("AWAITING_PAYMENT", None),
        ("CANCELLED", "customer_cancelled"),
    ]
    assert await outbox_events(app) == [
        "order-payment-requested",
        "order-cancelled",
        "order-cancelled",
    ]  # once, one row per destination (production, payment)


async def test_a_paid_order_cannot_be_cancelled_and_another_customer_is_refused(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    order = await place(client, "owner-c")
    foreign = await client.post(f"/order/{order['id']}/cancel", headers=owner("someone-else"))
    assert foreign.status_code == 403  # as GET /order/{id} answers a foreign order
    await handle_order_event(app.state.sessions, event(order["id"], PaymentApproved))
    paid = await client.post(f"/order/{order['id']}/cancel", headers=owner())
    assert paid.status_code == 409
    assert "only an order awaiting payment" in paid.json()["detail"]
    view = (await client.get(f"/order/{order['id']}", headers=owner())).json()
    assert view["status"] == "PAID"
    assert "order-cancelled" not in await outbox_events(app)


async def test_staff_cancel_any_unpaid_order_and_unknown_orders_are_404(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, _ = app_client
    order = await place(client, "owner-d")
    staff = TOKENS.headers("staff")
    assert (await client.post(f"/order/{order['id']}/cancel", headers=staff)).status_code == 200
    missing = "00000000-0000-0000-0000-000000000000"
    assert (await client.post(f"/order/{missing}/cancel", headers=staff)).status_code == 404
    assert (await client.post(f"/order/{order['id']}/cancel")).status_code == 401
