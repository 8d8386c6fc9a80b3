"""Idempotent order creation against real Postgres, through the order API."""

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from order import repository as repo
from tests.conftest import record_figure
from tests.order.conftest import BURGER, SODA, outbox_events
from tests.tokens import TOKENS

pytestmark = pytest.mark.integration

KEYS, PER_KEY = 20, 8
BODY = {
    "items": [{"product_id": str(BURGER), "quantity": 2}, {"product_id": str(SODA), "quantity": 1}]
}


async def post_order(
    client: httpx.AsyncClient, customer: str, key: str, body: dict[str, Any] = BODY
) -> httpx.Response:
    headers = TOKENS.headers("customer", sub=customer) | {"Idempotency-Key": key}
    return await client.post("/order", json=body, headers=headers)


async def test_concurrent_requests_with_one_key_create_one_order_and_never_fail(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    calls = [(f"totem-{k % 4}", f"key-{k}") for k in range(KEYS) for _ in range(PER_KEY)]
    answers = await asyncio.gather(*(post_order(client, who, key) for who, key in calls))
    statuses = Counter(r.status_code for r in answers)
    record_figure(
        f"order idempotency: {KEYS} keys x {PER_KEY} concurrent requests: "
        f"201={statuses[201]} 200={statuses[200]} 409={statuses[409]} "
        f"5xx={sum(n for s, n in statuses.items() if s >= 500)} other="
        f"{sum(n for s, n in statuses.items() if s not in (200, 201, 409) and s < 500)}"
    )
    assert statuses[201] == KEYS
    assert statuses[201] + statuses[200] + statuses[409] == len(calls), statuses
    assert all(r.headers["Retry-After"].isdigit() for r in answers if r.status_code == 409)
    ids_per_key: dict[str, set[str]] = {}
    for (_, key), response in zip(calls, answers, strict=True):
        if response.status_code in (200, 201):
            ids_per_key.setdefault(key, set()).add(response.json()["id"])
    assert all(len(ids) == 1 for ids in ids_per_key.values()), ids_per_key
    async with app.state.sessions() as session:
        rows = (
            await session.execute(
                select(repo.orders.c.idempotency_key, func.count()).group_by(
                    repo.orders.c.idempotency_key
                )
            )
        ).all()
    assert dict(rows) == {f"key-{k}": 1 for k in range(KEYS)}
    assert (await outbox_events(app)).count("order-payment-requested") == KEYS


async def test_the_same_key_with_another_body_is_a_422_that_names_the_problem(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    first = await post_order(client, "cust-r", "reused")
    assert first.status_code == 201
    other_body = {"items": [{"product_id": str(BURGER), "quantity": 3}]}
    refused = await post_order(client, "cust-r", "reused", other_body)
    assert refused.status_code == 422
    assert "different request body" in refused.json()["detail"]["message"]
    assert refused.json()["detail"]["order_id"] == first.json()["id"]
    assert await outbox_events(app) == ["order-payment-requested"]


async def test_the_same_body_replays_whatever_its_key_order_and_a_key_is_per_customer(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, _ = app_client
    first = await post_order(client, "cust-s", "same")
    reordered = {"items": [{"quantity": 2, "product_id": str(BURGER)}, BODY["items"][1]]}
    replay = await post_order(client, "cust-s", "same", reordered)
    assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])
    stranger = await post_order(client, "cust-t", "same")  # another customer's key space
    assert stranger.status_code == 201
    assert stranger.json()["id"] != first.json()["id"]


async def test_a_key_held_too_long_by_its_first_request_answers_409_with_retry_after(
    app_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = app_client
    async with app.state.sessions() as session, session.begin():  # a first request, stuck
        assert await repo.try_lock_idempotency_key(session, "cust-h", "held")
        busy = await post_order(client, "cust-h", "held")
    assert busy.status_code == 409
    assert busy.headers["Retry-After"] == "1"
    assert "still being created" in busy.json()["detail"]
    retried = await post_order(client, "cust-h", "held")  # the lock is gone: created now
    assert retried.status_code == 201
