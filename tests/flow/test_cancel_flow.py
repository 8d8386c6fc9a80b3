"""End to end through the gateway: a customer cancels an unpaid order."""

import json

import httpx
import pytest

from infra.local.demo import customer_token, ensure_products, staff_token
from infra.local.stack import Stack

pytestmark = pytest.mark.e2e


def board_snapshot(api: httpx.Client) -> list[dict[str, str]]:
    with api.stream("GET", "/order/board/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                orders: list[dict[str, str]] = json.loads(line[5:])["orders"]
                return orders
    raise AssertionError("the board stream ended without a snapshot")


def test_a_customer_cancels_an_unpaid_order_and_everyone_sees_it_cancelled(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as api:
        staff = staff_token(api)
        product = ensure_products(api, staff)[0]
        customer = customer_token(api)
        body = {"items": [{"product_id": product["id"], "quantity": 1}]}
        order = api.post("/order", json=body, headers=customer).json()
        cancelled = api.post(f"/order/{order['id']}/cancel", headers=customer)
        assert cancelled.status_code == 200, cancelled.text
        seen = api.get(f"/order/{order['id']}", headers=customer).json()
        queue = api.get("/order", headers=staff).json()
        board = board_snapshot(api)
    assert (seen["status"], seen["cancel_reason"]) == ("CANCELLED", "customer_cancelled")
    assert order["id"] not in {o["id"] for o in queue}  # the staff queue holds active orders
    assert order["display_number"] not in {o["display_number"] for o in board}
