"""The CPF a customer gives at the totem reaches Mercado Pago's payer (real Postgres)."""

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from order import repository as repo
from order.domain import is_valid_cpf
from tests.order.conftest import BURGER
from tests.tokens import TOKENS

pytestmark = pytest.mark.integration
ITEMS = [{"product_id": str(BURGER), "quantity": 1}]


async def payment_request_customer(app: Any) -> dict[str, Any]:
    async with app.state.sessions() as session:
        body = (await session.execute(select(repo.outbox.c.body))).scalar_one()
    customer: dict[str, Any] = json.loads(body)["payload"]["customer"]
    return customer


async def test_the_cpf_in_the_order_body_reaches_order_payment_requested(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    headers = TOKENS.headers("customer", sub="anon-1")
    created = await client.post(
        "/order", json={"items": ITEMS, "cpf": "52998224725"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert "cpf" not in created.json()  # not echoed back, not stored on the order
    assert (await payment_request_customer(app))["cpf"] == "52998224725"


@pytest.mark.parametrize("cpf", ["5299822472", "529.982.247-25", "52998224724", "11111111111"])
async def test_a_malformed_cpf_is_a_422_and_creates_nothing(
    app_client: tuple[httpx.AsyncClient, Any], cpf: str
) -> None:
    client, app = app_client
    refused = await client.post(
        "/order", json={"items": ITEMS, "cpf": cpf}, headers=TOKENS.headers("customer")
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "cpf"]
    async with app.state.sessions() as session:
        assert (await session.execute(select(repo.outbox.c.id))).first() is None


async def test_without_a_cpf_the_payer_has_none(app_client: tuple[httpx.AsyncClient, Any]) -> None:
    client, app = app_client
    created = await client.post("/order", json={"items": ITEMS}, headers=TOKENS.headers("customer"))
    assert created.status_code == 201
    assert (await payment_request_customer(app))["cpf"] is None


def test_cpf_check_digits() -> None:
    assert is_valid_cpf("52998224725") and is_valid_cpf("12345678909")
    assert not is_valid_cpf("52998224715") and not is_valid_cpf("00000000000")
