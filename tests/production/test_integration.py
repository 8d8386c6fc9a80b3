"""The production service against the moto server: consumer, staff API, outbox and relay."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from common.events import (
    Envelope,
    KitchenItem,
    OrderCancelled,
    OrderPaid,
    new_envelope,
    parse_message,
)
from common.messaging import SqsPublisher
from production.consumer import handlers
from production.domain import production_id_for
from production.main import create_app, worker_loops
from production.settings import Settings
from tests.conftest import AwsResources
from tests.tokens import AUDIENCE, ISSUER, TOKENS

pytestmark = pytest.mark.integration
STAFF = TOKENS.headers("staff")


def settings_for(aws: AwsResources) -> Settings:
    return Settings(
        aws_endpoint_url=aws.endpoint_url,
        aws_region="us-east-1",
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        payment_queue_name=aws.queues["payment"],
        order_queue_name=aws.queues["order"],
        production_queue_name=aws.queues["production"],
        tickets_table=aws.tables["production-tickets"],
        outbox_table=aws.tables["production-outbox"],
        inbox_table=aws.tables["production-inbox"],
        queue_wait_seconds=1,
        retry_base_seconds=1,
        relay_idle_seconds=0.05,
    )


@dataclass
class Kitchen:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    aws: AwsResources

    async def handle(self, envelope: Envelope[Any]) -> None:
        """What the worker's consumer does with one message from production-service-queue."""
        await handlers(self.app.state.repository)[envelope.meta.event_name](envelope)

    async def paid(self, order_id: uuid.UUID | None = None) -> Envelope[OrderPaid]:
        envelope = order_paid(order_id)
        await self.handle(envelope)
        return envelope

    def outbox(self) -> list[dict[str, Any]]:
        table = self.settings.outbox_table
        return list(self.aws.client("dynamodb").scan(TableName=table)["Items"])


@pytest.fixture
async def kitchen(aws: AwsResources) -> AsyncIterator[Kitchen]:
    settings = settings_for(aws)
    app = create_app(settings, key_source=TOKENS.key_source)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield Kitchen(app, client, settings, aws)


def order_paid(order_id: uuid.UUID | None = None) -> Envelope[OrderPaid]:
    event = OrderPaid(
        order_id=order_id or uuid.uuid4(),
        display_number="A-042",
        items=[
            KitchenItem(name="X-Burger", quantity=2, notes="no onion"),
            KitchenItem(name="Coke", quantity=1),
        ],
        customer_name="Ana",
        paid_at="2026-11-23T12:00:00Z",
    )
    return new_envelope(event, source="order-service")


@asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        tasks = [asyncio.create_task(loop(stop)) for loop in await worker_loops(stack, settings)]
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 10)


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(10):
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)  # polling a remote queue/table: no event to wait on


async def test_paid_order_from_the_queue_becomes_a_ticket_in_the_kitchen_queue(
    kitchen: Kitchen, aio_clients: dict[str, Any]
) -> None:
    envelope = order_paid()
    await SqsPublisher(aio_clients["sqs"]).publish(kitchen.settings.production_queue_name, envelope)
    production_id = production_id_for(envelope.payload.order_id)

    async def ticket_exists() -> bool:
        response = await kitchen.client.get(f"/production/{production_id}", headers=STAFF)
        return response.status_code == 200

    async with running_worker(kitchen.settings):
        await eventually(ticket_exists)
    listed = (await kitchen.client.get("/production", headers=STAFF)).json()
    assert listed == [
        {
            "production_id": production_id,
            "order_id": str(envelope.payload.order_id),
            "display_number": "A-042",
            "status": "RECEIVED",
            "items": [
                {"name": "X-Burger", "quantity": 2, "notes": "no onion"},
                {"name": "Coke", "quantity": 1, "notes": None},
            ],
            "customer_name": "Ana",
            "received_at": listed[0]["received_at"],
            "started_at": None,
            "completed_at": None,
            "delivered_at": None,
        }
    ]


async def test_redelivered_order_paid_makes_one_ticket(kitchen: Kitchen) -> None:
    envelope = await kitchen.paid()
    await kitchen.handle(envelope)
    tickets = (await kitchen.client.get("/production", headers=STAFF)).json()
    assert [t["order_id"] for t in tickets] == [str(envelope.payload.order_id)]


async def test_second_order_paid_event_for_the_same_order_makes_no_second_ticket(
    kitchen: Kitchen,
) -> None:
    first = await kitchen.paid()
    await kitchen.paid(first.payload.order_id)  # a different event id
    tickets = (await kitchen.client.get("/production", headers=STAFF)).json()
    assert len(tickets) == 1


async def test_kitchen_queue_lists_active_tickets_oldest_first(kitchen: Kitchen) -> None:
    ids = [production_id_for((await kitchen.paid()).payload.order_id) for _ in range(3)]
    for action in ("started", "completed", "delivered"):
        assert (
            await kitchen.client.put(f"/production/{ids[1]}/{action}", headers=STAFF)
        ).is_success
    listed = (await kitchen.client.get("/production", headers=STAFF)).json()
    assert [t["production_id"] for t in listed] == [ids[0], ids[2]]
    delivered = await kitchen.client.get("/production?status=DELIVERED", headers=STAFF)
    assert [t["production_id"] for t in delivered.json()] == [ids[1]]


async def test_staff_moves_a_ticket_and_the_relay_tells_the_order_service(
    kitchen: Kitchen, aio_clients: dict[str, Any]
) -> None:
    paid = await kitchen.paid()
    production_id = production_id_for(paid.payload.order_id)
    for action, status in [
        ("started", "IN_PREPARATION"),
        ("completed", "READY"),
        ("delivered", "DELIVERED"),
    ]:
        response = await kitchen.client.put(f"/production/{production_id}/{action}", headers=STAFF)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
        assert response.json()[f"{action}_at"] is not None
    assert sorted(i["event_name"]["S"] for i in kitchen.outbox()) == [
        "production-completed",
        "production-delivered",
        "production-started",
    ]

    sqs = aio_clients["sqs"]
    url = (await sqs.get_queue_url(QueueName=kitchen.settings.order_queue_name))["QueueUrl"]
    received: list[Envelope[Any]] = []

    async def all_three_arrived() -> bool:
        response = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        received.extend(parse_message(m["Body"]) for m in response.get("Messages", []))
        return len(received) >= 3

    async with running_worker(kitchen.settings):
        await eventually(all_three_arrived)
    assert sorted(e.meta.event_name for e in received) == [
        "production-completed",
        "production-delivered",
        "production-started",
    ]
    assert {e.meta.correlation_id for e in received} == {paid.meta.correlation_id}
    assert {e.payload.production_id for e in received} == {production_id}  # type: ignore[attr-defined]
    assert kitchen.outbox() == []


async def test_staff_cannot_complete_a_ticket_that_was_not_started(kitchen: Kitchen) -> None:
    production_id = production_id_for((await kitchen.paid()).payload.order_id)
    response = await kitchen.client.put(f"/production/{production_id}/completed", headers=STAFF)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "RECEIVED" in response.json()["detail"] and "READY" in response.json()["detail"]
    assert kitchen.outbox() == []


async def test_starting_a_ticket_twice_is_a_conflict(kitchen: Kitchen) -> None:
    production_id = production_id_for((await kitchen.paid()).payload.order_id)
    url = f"/production/{production_id}/started"
    assert (await kitchen.client.put(url, headers=STAFF)).status_code == 200
    assert (await kitchen.client.put(url, headers=STAFF)).status_code == 409
    assert len(kitchen.outbox()) == 1


async def test_unknown_ticket_is_not_found(kitchen: Kitchen) -> None:
    unknown = uuid.uuid4()
    assert (await kitchen.client.get(f"/production/{unknown}", headers=STAFF)).status_code == 404
    response = await kitchen.client.put(f"/production/{unknown}/started", headers=STAFF)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    malformed = await kitchen.client.put("/production/not-a-uuid/started", headers=STAFF)
    assert malformed.status_code == 422


class SavesMeetAtABarrier:
    """Holds each write until both clicks reached it: both read RECEIVED, both try to write."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._barrier = asyncio.Barrier(2)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def save_change(self, *args: Any, **kwargs: Any) -> bool:
        await asyncio.wait_for(self._barrier.wait(), 5)
        result: bool = await self._inner.save_change(*args, **kwargs)
        return result


async def test_two_staff_starting_the_same_ticket_at_once_start_it_once(kitchen: Kitchen) -> None:
    production_id = production_id_for((await kitchen.paid()).payload.order_id)
    kitchen.app.state.repository = SavesMeetAtABarrier(kitchen.app.state.repository)
    url = f"/production/{production_id}/started"
    responses = await asyncio.gather(
        kitchen.client.put(url, headers=TOKENS.headers("staff")),
        kitchen.client.put(url, headers=TOKENS.headers("admin")),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert "IN_PREPARATION" in loser.json()["detail"]
    assert [i["event_name"]["S"] for i in kitchen.outbox()] == ["production-started"]


async def test_customer_cannot_use_the_kitchen_routes(kitchen: Kitchen) -> None:
    production_id = production_id_for((await kitchen.paid()).payload.order_id)
    customer = TOKENS.headers("customer")
    assert (await kitchen.client.get("/production", headers=customer)).status_code == 403
    response = await kitchen.client.put(f"/production/{production_id}/started", headers=customer)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert kitchen.outbox() == []


async def test_kitchen_routes_need_a_token(kitchen: Kitchen) -> None:
    production_id = production_id_for((await kitchen.paid()).payload.order_id)
    for method, path in [
        ("GET", "/production"),
        ("GET", f"/production/{production_id}"),
        ("PUT", f"/production/{production_id}/started"),
        ("PUT", "/production/not-a-uuid/delivered"),
    ]:
        response = await kitchen.client.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_cancelled_order_cancels_a_ticket_still_received(kitchen: Kitchen) -> None:
    paid = await kitchen.paid()
    production_id = production_id_for(paid.payload.order_id)
    cancelled = new_envelope(
        OrderCancelled(order_id=paid.payload.order_id, reason="expired"), source="order-service"
    )
    await kitchen.handle(cancelled)
    await kitchen.handle(cancelled)  # redelivered: acknowledged, nothing else
    ticket = (await kitchen.client.get(f"/production/{production_id}", headers=STAFF)).json()
    assert ticket["status"] == "CANCELLED"
    assert (await kitchen.client.get("/production", headers=STAFF)).json() == []
    assert (
        await kitchen.client.put(f"/production/{production_id}/started", headers=STAFF)
    ).status_code == 409


async def test_cancelled_order_without_ticket_is_acknowledged(kitchen: Kitchen) -> None:
    await kitchen.handle(
        new_envelope(
            OrderCancelled(order_id=uuid.uuid4(), reason="expired"), source="order-service"
        )
    )
    assert (await kitchen.client.get("/production", headers=STAFF)).json() == []


async def test_ready_when_the_tickets_table_answers(kitchen: Kitchen, aws: AwsResources) -> None:
    assert (await kitchen.client.get("/production/ready")).status_code == 200
    aws.client("dynamodb").delete_table(TableName=kitchen.settings.tickets_table)
    response = await kitchen.client.get("/production/ready")
    assert response.status_code == 503
    assert "tickets_table" in response.json()["detail"]
