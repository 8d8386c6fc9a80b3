"""Every route of every service, called by five identities through the gateway.

Identities: no token, the owning customer, another customer, staff, admin (real tokens from
the auth service). Each call gets what an allowed caller needs to succeed (its own fresh
product, ticket in the right state, staff account...), so "allowed" means a 2xx, not merely
"not 401/403".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from infra.local.routes import Auth, RouteTable
from tests.security.conftest import (
    PRODUCT,
    World,
    ok,
    random_cpf,
    register_customer,
    signed_webhook,
)
from tests.security.routes import DOCS, IDENTITIES, ROUTES, SERVICES, STREAMS, Access

pytestmark = pytest.mark.e2e
TRANSITIONS = ("started", "completed", "delivered")


@dataclass
class Things:
    """What the routes' path parameters point at."""

    world: World
    order_id: str
    payment_id: str
    ticket_id: str  # for reads, and for callers who must be refused anyway
    fresh_tickets: dict[str, list[str]] = field(default_factory=dict)  # transition -> ids
    unpaid_order_id: str = ""  # cancelled by the first allowed caller, then a 200 no-op

    def ticket_for(self, transition: str, allowed: bool) -> str:
        return self.fresh_tickets[transition].pop() if allowed else self.ticket_id

    def new_staff_account(self) -> str:
        username = f"matrix.{random_cpf()}"
        body = {"username": username, "password": "a-long-matrix-password"}
        ok(self.world.api.post("/auth/staff", json=body, headers=self.world.admin), 201)
        return username


def _advance(world: World, ticket_id: str, *transitions: str) -> None:
    for transition in transitions:
        ok(world.api.put(f"/production/{ticket_id}/{transition}", headers=world.staff))


@pytest.fixture(scope="module")
def things(world: World) -> Things:
    """One order (with payment) of the customer, and paid orders whose kitchen tickets wait
    in each state a transition needs: two per transition (staff and admin move their own)."""
    order = world.place_order()
    payment = world.payment_of(order["id"])
    paid = [world.place_order() for _ in range(1 + 2 * len(TRANSITIONS))]
    for each in paid:
        world.approve_at_mercado_pago(world.payment_of(each["id"])["payment_id"])
    tickets = [world.ticket_of(each["id"])["production_id"] for each in paid]
    fresh: dict[str, list[str]] = {}
    for n, transition in enumerate(TRANSITIONS):
        fresh[transition] = tickets[1 + 2 * n : 3 + 2 * n]
        for ticket in fresh[transition]:
            _advance(world, ticket, *TRANSITIONS[:n])
    unpaid = world.place_order()["id"]
    return Things(world, order["id"], payment["payment_id"], tickets[0], fresh, unpaid)


Builder = Callable[[Things, bool], dict[str, Any]]


def _body(value: Any) -> Builder:
    return lambda things, allowed: {"json": value}


# Request bodies, queries and path values per route; `allowed` says whether the identity
# should get through, so only those consume fresh things.
BUILDERS: dict[tuple[str, str], Builder] = {
    ("POST", "/auth/customers"): lambda t, a: {
        "json": {"name": "Novo", "email": "novo@example.com", "cpf": random_cpf()}
    },
    ("POST", "/auth/customers/identify"): lambda t, a: {"json": {"cpf": t.world.customer.cpf}},
    ("POST", "/auth/staff/login"): _body({"username": "staff", "password": "staff-local-password"}),
    ("POST", "/auth/staff"): lambda t, a: {
        "json": {"username": f"matrix.{random_cpf()}", "password": "a-long-matrix-password"}
    },
    ("DELETE", "/auth/staff/{username}"): lambda t, a: {
        "username": t.new_staff_account() if a else "nobody-at-all"
    },
    ("GET", "/catalog/products/batch"): lambda t, a: {"params": {"ids": [t.world.product_id]}},
    ("GET", "/catalog/products/{product_id}"): lambda t, a: {"product_id": t.world.product_id},
    ("POST", "/catalog/products"): _body(PRODUCT),
    ("PUT", "/catalog/products/{product_id}"): lambda t, a: {
        "product_id": t.world.product_id,
        "json": PRODUCT,
    },
    ("DELETE", "/catalog/products/{product_id}"): lambda t, a: {
        "product_id": t.world.new_product()
    },
    ("POST", "/order"): lambda t, a: {
        "json": {"items": [{"product_id": t.world.product_id, "quantity": 1}]}
    },
    ("POST", "/order/{order_id}/cancel"): lambda t, a: {"order_id": t.unpaid_order_id},
    ("POST", "/payment/webhook"): lambda t, a: signed_webhook("1234", kind="test"),
    ("GET", "/payment/{payment_id}"): lambda t, a: {"payment_id": t.payment_id},
    ("GET", "/production/{production_id}"): lambda t, a: {"production_id": t.ticket_id},
    **{
        ("PUT", f"/production/{{production_id}}/{transition}"): (
            lambda t, a, transition=transition: {"production_id": t.ticket_for(transition, a)}
        )
        for transition in TRANSITIONS
    },
}


def request_for(things: Things, method: str, path: str, allowed: bool) -> dict[str, Any]:
    values = {"order_id": things.order_id}
    values.update(BUILDERS.get((method, path), lambda t, a: {})(things, allowed))
    url = path.format(**{k: v for k, v in values.items() if isinstance(v, str)})
    kwargs = {k: values[k] for k in ("json", "params", "headers") if k in values}
    return {"method": method, "url": url, **kwargs}


TABLE = RouteTable.load(list(SERVICES))


def call(api: httpx.Client, request: dict[str, Any], identity_headers: dict[str, str]) -> int:
    if TABLE.match(request["method"], request["url"]) is Auth.QUERY_JWT and identity_headers:
        # EventSource sends no headers: the token rides in the query, where the route's
        # authorizer reads it (a header token is not even looked at there, on AWS too).
        token = identity_headers["Authorization"].removeprefix("Bearer ")
        request = {**request, "params": {**request.get("params", {}), "access_token": token}}
        identity_headers = {}
    request = {**request, "headers": {**request.get("headers", {}), **identity_headers}}
    if request["url"].endswith("/events"):  # a stream: its status line is the answer
        with api.stream(**request) as response:
            return response.status_code
    return api.request(**request).status_code


def matches(expected: Any, status: int) -> bool:
    return 200 <= status < 300 if expected == "2xx" else status == expected


def test_every_documented_route_has_a_declared_access_rule(world: World) -> None:
    documented = set()
    for service in SERVICES:
        spec = ok(world.api.get(f"/{service}/openapi.json"))
        documented |= {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}
    assert documented - ROUTES.keys() == set(), "add these routes to tests/security/routes.py"
    assert ROUTES.keys() - documented == set(), "these routes are gone: drop their rules"
    assert {path for _, path in documented} >= STREAMS


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES), ids=lambda v: str(v))
def test_route_answers_each_identity_as_declared(things: Things, method: str, path: str) -> None:
    access: Access = ROUTES[(method, path)]
    answers = {}
    for identity in IDENTITIES:
        expected = access.expected(identity)
        request = request_for(things, method, path, allowed=expected == "2xx")
        answers[identity] = (
            expected,
            call(things.world.api, request, things.world.headers(identity)),
        )
    wrong = {who: got for who, got in answers.items() if not matches(*got)}
    assert wrong == {}, f"{method} {path}: identity -> (expected, got): {answers}"


@pytest.mark.parametrize(("service", "page"), DOCS)
def test_docs_and_openapi_are_public(world: World, service: str, page: str) -> None:
    assert world.api.get(f"/{service}/{page}").status_code == 200


def test_a_customer_never_sees_another_customers_orders(world: World, things: Things) -> None:
    stranger = register_customer(world.api, "Terceiro")
    mine = ok(world.api.get("/order/mine", headers=stranger.headers))
    assert mine == []
    mine = ok(world.api.get("/order/mine", headers=world.customer.headers))
    assert {o["id"] for o in mine} >= {things.order_id}
    assert {o["customer_id"] for o in mine} == {world.customer.id}
