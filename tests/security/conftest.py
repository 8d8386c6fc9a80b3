"""One embedded stack for the whole security package, and the people and things tests use.

Everything goes through the gateway, as an attacker would. Per-IP login and look-up limits
are raised here: every request of the package comes from 127.0.0.1, and the throttling
itself is tested in tests/auth; the per-account limit keeps its default.
"""

import hashlib
import hmac
import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
import pytest

from auth.settings import LOCAL_ADMIN_PASSWORD, LOCAL_STAFF_PASSWORD
from common.resources import load_resources
from infra.local.bootstrap import LOCAL_MERCADOPAGO_SECRET
from infra.local.demo import payment_of, wait_for
from infra.local.stack import Stack, StackPorts
from tests.conftest import ARTIFACTS

# One directory per xdist worker: each worker that runs tests of this package starts its own
# stack, and the secrets test reads that stack's logs only.
LOG_DIR = ARTIFACTS / "logs" / f"security-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
PRODUCT = {"name": "X-Security", "description": "test", "price": "19.90", "category": "Lanche"}


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for old in LOG_DIR.glob("*.log"):  # the secrets test reads these: this run's lines only
        old.unlink(missing_ok=True)
    running = Stack(
        StackPorts.free(),
        LOG_DIR,
        extra_env={
            "QUEUE_WAIT_SECONDS": "1",
            "AUTH_LOGIN_IP_LIMIT": "100000",
            "AUTH_LOOKUP_IP_LIMIT": "100000",
        },
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


def random_cpf() -> str:
    digits = [random.randint(0, 9) for _ in range(9)]
    for _ in range(2):
        total = sum(d * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), (
        f"{response.request.method} {response.request.url} -> "
        f"{response.status_code}: {response.text[:300]}"
    )
    return response.json() if response.content else None


@dataclass
class Customer:
    id: str
    cpf: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def register_customer(api: httpx.Client, name: str = "Cliente Teste") -> Customer:
    cpf, email = random_cpf(), f"c{uuid.uuid4().hex[:10]}@example.com"
    data = ok(api.post("/auth/customers", json={"name": name, "email": email, "cpf": cpf}), 201)
    return Customer(data["customer"]["id"], cpf, email, data["access_token"])


def login(api: httpx.Client, username: str, password: str) -> dict[str, str]:
    data = ok(api.post("/auth/staff/login", json={"username": username, "password": password}))
    return bearer(data["access_token"])


@dataclass
class World:
    """Who calls (one token per identity) and what exists, made once for the package."""

    stack: Stack
    api: httpx.Client
    customer: Customer
    other: Customer
    staff: dict[str, str]
    admin: dict[str, str]
    product_id: str
    kid: str
    orders: list[str] = field(default_factory=list)

    def headers(self, identity: str) -> dict[str, str]:
        return {
            "none": {},
            "customer": self.customer.headers,
            "other": self.other.headers,
            "staff": self.staff,
            "admin": self.admin,
        }[identity]

    def new_product(self) -> str:
        created = ok(self.api.post("/catalog/products", json=PRODUCT, headers=self.staff), 201)
        return str(created["id"])

    def place_order(self, customer: Customer | None = None) -> dict[str, Any]:
        who = customer or self.customer
        body = {"items": [{"product_id": self.product_id, "quantity": 1}]}
        order: dict[str, Any] = ok(self.api.post("/order", json=body, headers=who.headers), 201)
        return order

    def payment_of(self, order_id: str, customer: Customer | None = None) -> dict[str, Any]:
        return payment_of(self.api, order_id, (customer or self.customer).headers)

    def order_status(self, order_id: str) -> str:
        status: str = ok(self.api.get(f"/order/{order_id}", headers=self.staff))["status"]
        return status

    def approve_at_mercado_pago(self, payment_id: str, notify: bool = True) -> None:
        url = f"{self.stack.simulator_url}/simulator/payments/{payment_id}/approve"
        ok(httpx.post(url, params={"notify": str(notify).lower()}, timeout=10))

    def ticket_of(self, order_id: str) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            tickets = ok(self.api.get("/production", headers=self.staff))
            return next((t for t in tickets if t["order_id"] == order_id), None)

        ticket: dict[str, Any] = wait_for(find, lambda t: t is not None, "the ticket", 60)
        return ticket

    def signing_key_pem(self) -> str:
        """The local stack's real signing key (from the emulated Secrets Manager): lets
        tests forge tokens that differ from genuine ones in exactly one respect."""
        secrets = boto3.client(
            "secretsmanager", endpoint_url=self.stack.moto.url, region_name="us-east-1"
        )
        name = load_resources().secrets["auth_signing_key"]
        pem: str = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])[
            "private_key_pem"
        ]
        return pem


@pytest.fixture(scope="package")
def world(stack: Stack) -> Iterator[World]:
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as api:
        staff = login(api, "staff", LOCAL_STAFF_PASSWORD)
        product = ok(api.post("/catalog/products", json=PRODUCT, headers=staff), 201)
        jwks = ok(api.get("/auth/.well-known/jwks.json"))
        yield World(
            stack=stack,
            api=api,
            customer=register_customer(api, "Maria Dona"),
            other=register_customer(api, "Outro Cliente"),
            staff=staff,
            admin=login(api, "admin", LOCAL_ADMIN_PASSWORD),
            product_id=str(product["id"]),
            kid=jwks["keys"][0]["kid"],
        )


def eventually(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def signed_webhook(
    data_id: str,
    *,
    kind: str = "payment",
    secret: str | None = None,
    ts_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """`httpx` keyword arguments of a Mercado Pago notification signed as Mercado Pago signs."""
    secret = secret if secret is not None else LOCAL_MERCADOPAGO_SECRET["webhook_secret"]
    ts = ts_ms if ts_ms is not None else int(time.time() * 1000)
    request_id = request_id or str(uuid.uuid4())
    manifest = f"id:{data_id};request-id:{request_id};ts:{ts};"
    signature = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    body = {"type": kind, "action": "payment.updated", "data": {"id": data_id}}
    return {
        "params": {"data.id": data_id, "type": kind},
        "json": body,
        "headers": {"x-signature": f"ts={ts},v1={signature}", "x-request-id": request_id},
    }
