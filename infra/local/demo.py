"""Walk one order through the whole flow against a running stack, printing each step.

`python -m infra.local.demo [--gateway http://127.0.0.1:8080] [--simulator http://127.0.0.1:8090]`
The end-to-end test drives the same functions.
"""

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import httpx

DEMO_CPF = "52998224725"  # a valid CPF (check digits) used only for the demo customer
DEMO_PRODUCTS = (
    {
        "name": "X-Burger",
        "description": "Pão, carne 150 g, queijo",
        "price": "25.90",
        "category": "Lanche",
    },
    {"name": "Refrigerante lata", "description": "350 ml", "price": "7.50", "category": "Bebida"},
)
Say = Callable[[str], None]


def _ok(response: httpx.Response, *expected: int) -> Any:
    if response.status_code not in (expected or (200,)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json() if response.content else None


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


# The local stack's seeded staff account (refused by the auth service in prod).
LOCAL_STAFF = ("staff", "staff-local-password")


def staff_token(api: httpx.Client, credentials: tuple[str, str] = LOCAL_STAFF) -> dict[str, str]:
    username, password = credentials
    return bearer(
        _ok(api.post("/auth/staff/login", json={"username": username, "password": password}))
    )


def ensure_products(api: httpx.Client, staff: dict[str, str]) -> list[dict[str, Any]]:
    listed = _ok(api.get("/catalog/products"))
    by_name = {p["name"]: p for p in listed}
    return [
        by_name.get(spec["name"])
        or _ok(api.post("/catalog/products", json=spec, headers=staff), 201)
        for spec in DEMO_PRODUCTS
    ]


def customer_token(api: httpx.Client, cpf: str = DEMO_CPF) -> dict[str, str]:
    registered = api.post(
        "/auth/customers", json={"name": "Maria Demo", "email": "maria@example.com", "cpf": cpf}
    )
    if registered.status_code == 409:
        return bearer(_ok(api.post("/auth/customers/identify", json={"cpf": cpf})))
    return bearer(_ok(registered, 201))


def wait_for(
    fetch: Callable[[], Any], done: Callable[[Any], bool], what: str, timeout: float = 60.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}; last seen: {value}")
        time.sleep(0.2)


def wait_for_status(
    api: httpx.Client, order_id: str, headers: dict[str, str], status: str, timeout: float = 60.0
) -> dict[str, Any]:
    order: dict[str, Any] = wait_for(
        lambda: _ok(api.get(f"/order/{order_id}", headers=headers)),
        lambda o: o["status"] == status,
        f"order {status}",
        timeout,
    )
    return order


def payment_of(api: httpx.Client, order_id: str, headers: dict[str, str]) -> dict[str, Any]:
    payment: dict[str, Any] = wait_for(
        lambda: api.get(f"/payment/order/{order_id}", headers=headers),
        lambda r: r.status_code == 200,
        "the Pix payment",
    ).json()
    return payment


def ticket_of(api: httpx.Client, order_id: str, staff: dict[str, str]) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        tickets = _ok(api.get("/production", headers=staff))
        return next((t for t in tickets if t["order_id"] == order_id), None)

    ticket: dict[str, Any] = wait_for(find, lambda t: t is not None, "the kitchen ticket")
    return ticket


def run_demo(api: httpx.Client, simulator: httpx.Client, say: Say = print) -> dict[str, Any]:
    """Staff seeds the menu, a customer orders and pays, the kitchen delivers; returns the order."""
    staff = staff_token(api)
    products = ensure_products(api, staff)
    menu = ", ".join(f"{p['name']} R$ {p['price']}" for p in products)
    say(f"catalog: {menu}")
    customer = customer_token(api)
    say("customer identified by CPF")
    order: dict[str, Any] = _ok(
        api.post(
            "/order",
            headers=customer,
            json={
                "items": [
                    {"product_id": products[0]["id"], "quantity": 2, "notes": "sem cebola"},
                    {"product_id": products[1]["id"], "quantity": 1},
                ]
            },
        ),
        201,
    )
    order_id = order["id"]
    say(
        f"order {order['display_number']} ({order_id}) total R$ {order['total']}: {order['status']}"
    )
    payment = payment_of(api, order_id, customer)
    say(f"Pix QR (copia e cola): {payment['qr_code'][:48]}...  payment {payment['payment_id']}")
    _ok(simulator.post(f"/simulator/payments/{payment['payment_id']}/approve"))
    say("payment approved at Mercado Pago (simulator sent the signed webhook)")
    say(f"order status: {wait_for_status(api, order_id, customer, 'PAID')['status']}")
    ticket = ticket_of(api, order_id, staff)
    say(f"kitchen ticket {ticket['production_id']}: {ticket['status']}")
    for action, status in (
        ("started", "IN_PREPARATION"),
        ("completed", "READY"),
        ("delivered", "DELIVERED"),
    ):
        _ok(api.put(f"/production/{ticket['production_id']}/{action}", headers=staff))
        order = wait_for_status(api, order_id, customer, status)
        say(f"kitchen {action:9} -> order status: {order['status']}")
    return order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gateway", default=os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080"))
    parser.add_argument(
        "--simulator", default=os.environ.get("SIMULATOR_URL", "http://127.0.0.1:8090")
    )
    args = parser.parse_args()
    with (
        httpx.Client(base_url=args.gateway, timeout=10) as api,
        httpx.Client(base_url=args.simulator, timeout=10) as simulator,
    ):
        order = run_demo(api, simulator)
    print(f"done: order {order['display_number']} is {order['status']}")


if __name__ == "__main__":
    main()
