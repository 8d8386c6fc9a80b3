"""Fixtures and helpers of the order tests: a real order API on a fresh Postgres database,
a stand-in catalog on a real port, and event builders."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from common.events import (
    Envelope,
    Event,
    PaymentApproved,
    PaymentChargedBack,
    PaymentCreated,
    PaymentCreationFailed,
    PaymentExpired,
    PaymentRefunded,
    PaymentRejected,
    ProductionCompleted,
    ProductionDelivered,
    ProductionStarted,
    new_envelope,
)
from infra.local.postgres import LocalPostgres
from order import repository as repo
from order.main import create_app, migrate
from order.settings import Settings
from tests.conftest import fresh_database
from tests.tokens import AUDIENCE, ISSUER, TOKENS

BURGER, SODA, RETIRED = uuid4(), uuid4(), uuid4()
TEARDOWN_SECONDS = 30
CATALOG = {BURGER: ("X-Burger", "25.90"), SODA: ("Refrigerante", "7.50")}


async def fake_catalog(request: web.Request) -> web.Response:
    ids = [UUID(v) for v in request.query.getall("ids", [])]
    found = [
        {"id": str(i), "name": CATALOG[i][0], "price": CATALOG[i][1]} for i in ids if i in CATALOG
    ]
    return web.json_response(
        {"products": found, "missing": [str(i) for i in ids if i not in CATALOG]}
    )


@pytest.fixture
async def catalog_url() -> AsyncIterator[str]:
    """A stand-in catalog on a real port: the order API's HTTP adapter runs for real."""
    app = web.Application()
    app.router.add_get("/catalog/products/batch", fake_catalog)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/catalog"))
    finally:
        # Bounded: one full run hung here for 25 minutes; a stuck close must fail the test,
        # not stall the suite until CI's limit.
        await asyncio.wait_for(server.close(), TEARDOWN_SECONDS)


@pytest.fixture
async def app_client(
    postgres: LocalPostgres, catalog_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = Settings(
        database_url=await fresh_database(postgres, "order"),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        catalog_url=catalog_url,
        catalog_timeout_seconds=1,
    )
    migrate(settings)
    app = create_app(settings, key_source=TOKENS.key_source)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, app
    finally:
        await asyncio.wait_for(lifespan.__aexit__(None, None, None), TEARDOWN_SECONDS)


async def place(client: httpx.AsyncClient, customer: str, **headers: str) -> dict[str, Any]:
    response = await client.post(
        "/order",
        json={
            "items": [
                {"product_id": str(BURGER), "quantity": 2, "notes": "sem cebola"},
                {"product_id": str(SODA), "quantity": 1},
            ]
        },
        headers=TOKENS.headers("customer", sub=customer, name="Ana", email="ana@example.com")
        | headers,
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def event(order_id: str, kind: type[Event], **fields: Any) -> Envelope[Event]:
    now = datetime.now(UTC)
    defaults: dict[type[Event], dict[str, Any]] = {
        PaymentCreated: {
            "payment_id": "77",
            "amount": "59.30",
            "qr_code": "000201",
            "qr_code_base64": "iVBO",
            "expires_at": now,
        },
        PaymentApproved: {"payment_id": "77", "amount": "59.30", "approved_at": now},
        PaymentRejected: {"payment_id": "77", "reason": "cc_rejected"},
        PaymentExpired: {"payment_id": "77", "reason": "expired"},
        PaymentRefunded: {"payment_id": "77", "amount": "59.30", "reason": "late_approval"},
        PaymentChargedBack: {"payment_id": "77", "amount": "59.30"},
        PaymentCreationFailed: {"reason": "mercado pago unavailable for 20 minutes"},
        ProductionStarted: {"production_id": "p1", "at": now},
        ProductionCompleted: {"production_id": "p1", "at": now},
        ProductionDelivered: {"production_id": "p1", "at": now},
    }
    payload = kind(order_id=order_id, **(defaults[kind] | fields))
    return new_envelope(payload, source="test")  # type: ignore[return-value]


async def outbox_events(app: Any) -> list[str]:
    async with app.state.sessions() as session:
        rows = (
            (await session.execute(select(repo.outbox.c.event_name).order_by(repo.outbox.c.id)))
            .scalars()
            .all()
        )
    return list(rows)
