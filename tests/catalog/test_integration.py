"""The catalog app against a real Postgres, with tokens from the test issuer."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from catalog.main import MIGRATIONS, create_app
from catalog.settings import Settings
from common.db import upgrade_to_head
from infra.local.postgres import LocalPostgres
from tests.conftest import fresh_database
from tests.tokens import AUDIENCE, ISSUER, TOKENS

pytestmark = pytest.mark.integration
STAFF = TOKENS.headers("staff")
ADMIN = TOKENS.headers("admin")
CUSTOMER = TOKENS.headers("customer")


@pytest.fixture(scope="module")
async def client(postgres: LocalPostgres) -> AsyncIterator[httpx.AsyncClient]:
    """One database and app for the module; every test creates its own products."""
    url = await fresh_database(postgres, "catalog")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = Settings(database_url=url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    app = create_app(settings, key_source=TOKENS.key_source)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c,
    ):
        yield c


def product_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"X-Burger {uuid4().hex[:6]}",
        "description": "Pão, carne e queijo",
        "price": "25.90",
        "category": "Lanche",
        "image_url": "https://cdn.example.com/x.png",
        **overrides,
    }


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/catalog/products", json=product_body(**overrides), headers=STAFF)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_categories_are_the_four_of_the_menu(client: httpx.AsyncClient) -> None:
    response = await client.get("/catalog/categories")
    assert response.json() == [
        {"id": 1, "name": "Lanche"},
        {"id": 2, "name": "Acompanhamento"},
        {"id": 3, "name": "Bebida"},
        {"id": 4, "name": "Sobremesa"},
    ]


async def test_staff_create_read_update_and_withdraw_a_product(client: httpx.AsyncClient) -> None:
    created = await create(client, price="25.9")
    assert set(created) == {"id", "name", "description", "price", "category", "image_url", "active"}
    assert (created["price"], created["active"]) == ("25.90", True)
    url = f"/catalog/products/{created['id']}"
    assert (await client.get(url)).json() == created

    changed = product_body(name="X-Salada", price="27.50", category="Lanche", image_url=None)
    updated = await client.put(url, json=changed, headers=ADMIN)
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["price"]) == ("X-Salada", "27.50")
    assert updated.json()["image_url"] is None

    deleted = await client.delete(url, headers=STAFF)
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await client.get(url)).status_code == 404
    listed = (await client.get("/catalog/products")).json()
    assert created["id"] not in {p["id"] for p in listed}
    assert (await client.delete(url, headers=STAFF)).status_code == 204  # idempotent

    relisted = await client.put(url, json={**changed, "active": True}, headers=STAFF)
    assert relisted.json()["active"] is True
    assert (await client.get(url)).status_code == 200


async def test_writes_without_a_token_answer_401(client: httpx.AsyncClient) -> None:
    product = await create(client)
    url = f"/catalog/products/{product['id']}"
    responses = [
        await client.post("/catalog/products", json=product_body()),
        await client.put(url, json=product_body()),
        await client.delete(url),
        await client.post(
            "/catalog/products", json=product_body(), headers={"Authorization": "Bearer not-a-jwt"}
        ),
    ]
    assert [r.status_code for r in responses] == [401, 401, 401, 401]
    assert responses[0].json()["error"] == "unauthorized"


async def test_writes_with_a_customer_token_answer_403(client: httpx.AsyncClient) -> None:
    product = await create(client)
    url = f"/catalog/products/{product['id']}"
    responses = [
        await client.post("/catalog/products", json=product_body(), headers=CUSTOMER),
        await client.put(url, json=product_body(), headers=CUSTOMER),
        await client.delete(url, headers=CUSTOMER),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    assert (await client.get(url)).json()["name"] == product["name"]


async def test_batch_returns_found_products_and_missing_ids(client: httpx.AsyncClient) -> None:
    kept, withdrawn = await create(client), await create(client)
    await client.delete(f"/catalog/products/{withdrawn['id']}", headers=STAFF)
    unknown = str(uuid4())
    response = await client.get(
        "/catalog/products/batch",
        params=[("ids", kept["id"]), ("ids", withdrawn["id"]), ("ids", unknown)],
    )
    assert response.status_code == 200
    assert response.json() == {"products": [kept], "missing": [withdrawn["id"], unknown]}


@pytest.mark.parametrize("count", [0, 51])
async def test_batch_needs_one_to_fifty_ids(client: httpx.AsyncClient, count: int) -> None:
    params = [("ids", str(uuid4())) for _ in range(count)]
    response = await client.get("/catalog/products/batch", params=params)
    assert response.status_code == 422


async def test_listing_filters_by_category(client: httpx.AsyncClient) -> None:
    burger = await create(client, category="Lanche")
    drink = await create(client, name="Suco", category="Bebida", price="8.00")
    drinks = (await client.get("/catalog/products", params={"category": "Bebida"})).json()
    assert drink in drinks and burger not in drinks
    assert {p["category"] for p in drinks} == {"Bebida"}
    everything = (await client.get("/catalog/products")).json()
    assert burger in everything and drink in everything
    bad = await client.get("/catalog/products", params={"category": "Pizza"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"name": "x" * 121},
        {"description": "x" * 1001},
        {"price": "0.00"},
        {"price": "10000.00"},
        {"price": 25.9},
        {"price": "1.999"},
        {"category": "Pizza"},
        {"image_url": "ftp://example.com/x.png"},
        {"unexpected": True},
    ],
)
async def test_invalid_products_answer_422(
    client: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    response = await client.post("/catalog/products", json=product_body(**overrides), headers=STAFF)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_unknown_ids_answer_404_and_malformed_ids_422(client: httpx.AsyncClient) -> None:
    unknown = f"/catalog/products/{uuid4()}"
    assert (await client.get(unknown)).status_code == 404
    assert (await client.put(unknown, json=product_body(), headers=STAFF)).status_code == 404
    assert (await client.delete(unknown, headers=STAFF)).status_code == 404
    assert (await client.get("/catalog/products/not-a-uuid")).status_code == 422
    assert (await client.delete("/catalog/products/42", headers=STAFF)).status_code == 422


async def test_ready_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/catalog/ready")
    assert response.status_code == 200 and response.json()["status"] == "ready"
