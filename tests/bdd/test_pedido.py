"""The restaurant's journeys (features/pedido.feature, in Portuguese as the restaurant says
them), run against the whole stack through the gateway: the totem's API, the Mercado Pago
simulator's Pix, the kitchen's API. Each scenario has its own customer and order."""

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from infra.local.demo import (
    customer_token,
    ensure_products,
    payment_of,
    staff_token,
    ticket_of,
    wait_for_status,
)
from infra.local.stack import Stack
from tests.tracking.conftest import valid_cpf

pytestmark = pytest.mark.e2e

scenarios("features/pedido.feature")


class Totem:
    """What one scenario knows: the clients, the customer, the staff and the order."""

    def __init__(self, stack: Stack, staff: dict[str, str]) -> None:
        self.api = httpx.Client(base_url=stack.gateway_url, timeout=10)
        self.simulator = httpx.Client(base_url=stack.simulator_url, timeout=10)
        self.staff = staff
        self.products: list[dict[str, Any]] = []
        self.customer: dict[str, str] = {}
        self.order: dict[str, Any] = {}
        self.ticket: dict[str, Any] = {}

    def close(self) -> None:
        self.api.close()
        self.simulator.close()


@pytest.fixture(scope="module")
def staff(stack: Stack) -> dict[str, str]:
    """One staff login per module: logins are throttled per address."""
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as api:
        return staff_token(api)


@pytest.fixture
def totem(stack: Stack, staff: dict[str, str]) -> Iterator[Totem]:
    state = Totem(stack, staff)
    yield state
    state.close()


@given("um cardápio com lanches")
def cardapio(totem: Totem) -> None:
    totem.products = ensure_products(totem.api, totem.staff)
    assert totem.products


@given("uma cliente identificada pelo CPF no totem")
def cliente(totem: Totem) -> None:
    totem.customer = customer_token(totem.api, cpf=valid_cpf(secrets.randbelow(10**6)))


@when(parsers.re(r"a cliente pede (?P<quantity>\d+) lanches?"))
def pede(totem: Totem, quantity: str) -> None:
    item = {"product_id": totem.products[0]["id"], "quantity": int(quantity)}
    response = totem.api.post("/order", headers=totem.customer, json={"items": [item]})
    assert response.status_code == 201, response.text
    totem.order = response.json()
    assert totem.order["status"] == "AWAITING_PAYMENT"


def _at_mercado_pago(totem: Totem, action: str) -> None:
    payment = payment_of(totem.api, totem.order["id"], totem.customer)
    response = totem.simulator.post(f"/simulator/payments/{payment['payment_id']}/{action}")
    assert response.status_code == 200, response.text


@when("paga o Pix no Mercado Pago")
def paga(totem: Totem) -> None:
    _at_mercado_pago(totem, "approve")


@when("o Mercado Pago recusa o Pix")
def recusa(totem: Totem) -> None:
    _at_mercado_pago(totem, "reject")


@when("a cliente cancela o pedido")
def cancela(totem: Totem) -> None:
    response = totem.api.post(f"/order/{totem.order['id']}/cancel", headers=totem.customer)
    assert response.status_code == 200, response.text


@then(parsers.parse('o pedido fica "{status}"'))
def fica(totem: Totem, status: str) -> None:
    totem.order = wait_for_status(totem.api, totem.order["id"], totem.customer, status)


@then(parsers.parse('o pedido continua "{status}"'))
def continua(totem: Totem, status: str) -> None:
    response = totem.api.get(f"/order/{totem.order['id']}", headers=totem.customer)
    assert response.json()["status"] == status


@then("a cozinha recebe o pedido para preparar")
def cozinha_recebe(totem: Totem) -> None:
    totem.ticket = ticket_of(totem.api, totem.order["id"], totem.staff)
    assert totem.ticket["status"] == "RECEIVED"


@then("a cozinha não recebe o pedido")
def cozinha_nao_recebe(totem: Totem) -> None:
    tickets = totem.api.get("/production", headers=totem.staff).json()
    assert all(ticket["order_id"] != totem.order["id"] for ticket in tickets)


def _kitchen(totem: Totem, action: str) -> httpx.Response:
    return totem.api.put(
        f"/production/{totem.ticket['production_id']}/{action}", headers=totem.staff
    )


@when("a cozinha começa, termina e entrega o pedido")
def cozinha_completa(totem: Totem) -> None:
    for action, status in (
        ("started", "IN_PREPARATION"),
        ("completed", "READY"),
        ("delivered", "DELIVERED"),
    ):
        assert _kitchen(totem, action).status_code == 200
        wait_for_status(totem.api, totem.order["id"], totem.customer, status)


@when("a cozinha começa o preparo")
def cozinha_comeca(totem: Totem) -> None:
    response = _kitchen(totem, "started")
    assert response.status_code == 200, response.text


@then("cancelar o pedido é recusado com 409")
def cancelar_recusado(totem: Totem) -> None:
    response = totem.api.post(f"/order/{totem.order['id']}/cancel", headers=totem.customer)
    assert response.status_code == 409, response.text


@then("marcar o pedido como pronto antes de começar é recusado com 409")
def pronto_antes_de_comecar(totem: Totem) -> None:
    response = _kitchen(totem, "completed")
    assert response.status_code == 409, response.text
