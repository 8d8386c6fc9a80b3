"""The Mercado Pago webhook under attack, through the gateway.

The body of a notification is never trusted: whatever it says, payment re-fetches the
payment from Mercado Pago (in the worker) and applies only what Mercado Pago answers. So
forged, replayed or misdirected signatures answer 401, an unsigned notification (the IPN
form) is accepted for a known payment, and none of them moves a payment Mercado Pago still
has pending; a notification for a payment that is not ours answers 404; a genuine one
delivered five times at once has exactly one effect.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.security.conftest import World, eventually, ok, signed_webhook

pytestmark = pytest.mark.e2e
MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def pending(world: World) -> dict[str, Any]:
    """An order whose payment is still pending at Mercado Pago."""
    order = world.place_order()
    payment = world.payment_of(order["id"])
    return {"order_id": order["id"], "payment_id": payment["payment_id"]}


@pytest.fixture(scope="module")
def approved(world: World) -> dict[str, Any]:
    """An order whose payment Mercado Pago approved without notifying us (yet)."""
    order = world.place_order()
    payment = world.payment_of(order["id"])
    world.approve_at_mercado_pago(payment["payment_id"], notify=False)
    return {"order_id": order["id"], "payment_id": payment["payment_id"]}


def attacks(payment_id: str) -> dict[str, dict[str, Any]]:
    now = int(time.time() * 1000)
    genuine = signed_webhook(payment_id)
    return {
        "forged with another secret": signed_webhook(payment_id, secret="guessed-secret"),
        "no x-request-id": {
            **genuine,
            "headers": {"x-signature": genuine["headers"]["x-signature"]},
        },
        "garbage signature": {
            **genuine,
            "headers": {"x-signature": "ts=,v1=", "x-request-id": "r"},
        },
        "replayed: ts six minutes old": signed_webhook(payment_id, ts_ms=now - 6 * MINUTE_MS),
        "ts six minutes ahead": signed_webhook(payment_id, ts_ms=now + 6 * MINUTE_MS),
        "signature of another payment": {
            **signed_webhook("999999"),
            "params": {"data.id": payment_id, "type": "payment"},
        },
        "request id swapped": {
            **genuine,
            "headers": {**genuine["headers"], "x-request-id": "another-request"},
        },
    }


def history(world: World, order_id: str) -> list[str]:
    rows = ok(world.api.get(f"/order/{order_id}/history", headers=world.staff))
    return [row["status"] for row in rows]


@pytest.mark.parametrize("attack", list(attacks("0")))
def test_forged_or_replayed_signatures_answer_401_and_move_nothing_mercado_pago_has_pending(
    world: World, pending: dict[str, Any], attack: str
) -> None:
    response = world.api.post("/payment/webhook", **attacks(pending["payment_id"])[attack])
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"
    assert_still_pending(world, pending)


@pytest.mark.parametrize("headers", [{}, {"x-request-id": "r-1"}], ids=["none", "request id"])
def test_an_unsigned_notification_is_accepted_and_moves_nothing_mercado_pago_has_pending(
    world: World, pending: dict[str, Any], headers: dict[str, str]
) -> None:
    notification = {**signed_webhook(pending["payment_id"]), "headers": headers}
    response = world.api.post("/payment/webhook", **notification)
    assert response.status_code == 200, response.text
    time.sleep(2)  # room for the worker's re-fetch, which finds the payment still pending
    assert_still_pending(world, pending)


def test_a_forged_notification_cannot_pay_but_mercado_pago_is_asked_and_it_decides(
    world: World,
) -> None:
    order = world.place_order()
    payment = world.payment_of(order["id"])
    world.approve_at_mercado_pago(payment["payment_id"], notify=False)
    forged = signed_webhook(payment["payment_id"], secret="guessed-secret")
    assert world.api.post("/payment/webhook", **forged).status_code == 401
    # The refused notification still schedules a rate-limited re-fetch: what pays the order
    # is Mercado Pago's answer, never the request.
    eventually(lambda: world.order_status(order["id"]) == "PAID")


def assert_still_pending(world: World, pending: dict[str, Any]) -> None:
    assert world.order_status(pending["order_id"]) == "AWAITING_PAYMENT"
    payment = ok(world.api.get(f"/payment/{pending['payment_id']}", headers=world.staff))
    assert payment["status"] == "PENDING"


def test_a_signed_notification_of_an_unknown_payment_answers_404(
    world: World, approved: dict[str, Any]
) -> None:
    response = world.api.post("/payment/webhook", **signed_webhook("987654321098"))
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    assert world.order_status(approved["order_id"]) == "AWAITING_PAYMENT"


def test_the_same_notification_five_times_at_once_pays_the_order_once(
    world: World, approved: dict[str, Any]
) -> None:
    time.sleep(1)  # a rejected notification that slipped through would have acted by now
    assert history(world, approved["order_id"]) == ["AWAITING_PAYMENT"]
    notification = signed_webhook(approved["payment_id"])

    def deliver(_: int) -> int:
        with httpx.Client(base_url=world.stack.gateway_url, timeout=15) as api:
            return api.post("/payment/webhook", **notification).status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(deliver, range(5)))
    assert statuses == [200] * 5
    eventually(lambda: world.order_status(approved["order_id"]) == "PAID")
    ticket = world.ticket_of(approved["order_id"])
    time.sleep(2)  # room for a duplicate payment-approved or order-paid to show up
    assert history(world, approved["order_id"]) == ["AWAITING_PAYMENT", "PAID"]
    tickets = ok(world.api.get("/production", headers=world.staff))
    assert [t["production_id"] for t in tickets if t["order_id"] == approved["order_id"]] == [
        ticket["production_id"]
    ]
    payment = ok(world.api.get(f"/payment/{approved['payment_id']}", headers=world.staff))
    assert payment["status"] == "APPROVED"
