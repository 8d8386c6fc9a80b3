"""The Mercado Pago webhook under attack, through the gateway.

Forged, unsigned, replayed or misdirected notifications answer 401/404 and change nothing;
a genuine notification delivered five times at once has exactly one effect.
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
        "no signature headers": {**genuine, "headers": {}},
        "no x-signature": {**genuine, "headers": {"x-request-id": "r-1"}},
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
def test_forged_or_replayed_notifications_answer_401_and_change_nothing(
    world: World, approved: dict[str, Any], attack: str
) -> None:
    response = world.api.post("/payment/webhook", **attacks(approved["payment_id"])[attack])
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"
    assert world.order_status(approved["order_id"]) == "AWAITING_PAYMENT"
    payment = ok(world.api.get(f"/payment/{approved['payment_id']}", headers=world.staff))
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
