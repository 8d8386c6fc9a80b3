"""Live status over server-sent events, through the gateway, on the embedded stack."""

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from infra.local.demo import staff_token
from tests.tracking.conftest import TrackingStack, pay, place_order, valid_cpf

pytestmark = pytest.mark.e2e

Event = dict[str, str]


class EventReader:
    """Parses a text/event-stream response; comments are kept as {"comment": ...} events."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()
        self._current: Event = {}

    async def until(
        self, done: Callable[[list[Event]], bool], wait_seconds: float = 30.0
    ) -> list[Event]:
        """The events read until `done(events)` holds."""
        events: list[Event] = []

        async def consume() -> None:
            async for line in self._lines:
                if line.startswith(":"):
                    events.append({"comment": line[1:].strip()})
                elif line:
                    field, _, value = line.partition(":")
                    self._current[field] = value.removeprefix(" ")
                    continue
                elif self._current:
                    events.append(self._current)
                    self._current = {}
                if done(events):
                    return

        await asyncio.wait_for(consume(), wait_seconds)
        return events


async def read_events(
    response: httpx.Response, done: Callable[[list[Event]], bool], wait_seconds: float = 30.0
) -> list[Event]:
    return await EventReader(response).until(done, wait_seconds)


def statuses(events: list[Event]) -> list[str]:
    return [json.loads(e["data"])["status"] for e in events if e.get("event") == "status"]


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_order_stream_pushes_each_change_and_resumes_after_last_event_id(
    tracking: TrackingStack,
) -> None:
    with httpx.Client(base_url=tracking.gateway_url, timeout=10) as api:
        order, customer = place_order(api, valid_cpf(101))
        url = f"/order/{order['id']}/events"
        async with httpx.AsyncClient(base_url=tracking.gateway_url, timeout=30) as client:
            # EventSource cannot send headers: the token rides in the query string.
            async with client.stream(
                "GET", url, params={"access_token": token_of(customer)}
            ) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                reader = EventReader(response)
                first = await reader.until(lambda es: statuses(es) != [])
                assert statuses(first) == ["AWAITING_PAYMENT"]
                ticket = await asyncio.to_thread(pay, api, tracking.simulator_url, order, customer)
                paid = await reader.until(lambda es: "PAID" in statuses(es))
            paid_event = next(e for e in paid if e.get("event") == "status")
            data = json.loads(paid_event["data"])
            assert data["display_number"] == order["display_number"]
            assert int(paid_event["id"]) > int(first[-1]["id"])
            # While nobody listens the kitchen starts; a reconnect replays only what was missed.
            staff = staff_token(api)
            await client.put(f"/production/{ticket['production_id']}/started", headers=staff)
            async with client.stream(
                "GET", url, headers={**customer, "Last-Event-ID": paid_event["id"]}
            ) as response:
                resumed = await read_events(response, lambda es: statuses(es) != [])
            assert statuses(resumed) == ["IN_PREPARATION"]


async def test_order_stream_is_for_its_owner_and_staff_only(tracking: TrackingStack) -> None:
    with httpx.Client(base_url=tracking.gateway_url, timeout=10) as api:
        order, _ = place_order(api, valid_cpf(102))
        _, stranger = place_order(api, valid_cpf(103))
        url = f"/order/{order['id']}/events"
        staff = staff_token(api)
    async with httpx.AsyncClient(base_url=tracking.gateway_url, timeout=30) as client:
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, params={"access_token": "not-a-jwt"})).status_code == 401
        stranger_token = {"access_token": token_of(stranger)}
        assert (await client.get(url, params=stranger_token)).status_code == 403
        async with client.stream("GET", url, headers=staff) as response:
            assert response.status_code == 200
            assert statuses(await read_events(response, lambda es: statuses(es) != [])) == [
                "AWAITING_PAYMENT"
            ]


async def test_board_stream_is_public_and_carries_display_numbers_and_statuses_only(
    tracking: TrackingStack,
) -> None:
    with httpx.Client(base_url=tracking.gateway_url, timeout=10) as api:
        order, customer = place_order(api, valid_cpf(104), notes="sem picles")
        async with (
            httpx.AsyncClient(base_url=tracking.gateway_url, timeout=30) as client,
            client.stream("GET", "/order/board/events") as response,
        ):
            assert response.status_code == 200
            reader = EventReader(response)
            snapshot = await reader.until(lambda es: any("event" in e for e in es))
            assert snapshot[0]["event"] == "snapshot" and snapshot[0]["id"].isdigit()
            assert all(set(o) == {"display_number", "status"} for o in _orders(snapshot[0]))
            await asyncio.to_thread(pay, api, tracking.simulator_url, order, customer)
            events = await reader.until(
                lambda es: any(
                    e.get("event") == "status"
                    and json.loads(e["data"])["display_number"] == order["display_number"]
                    for e in es
                ),
            )
    change = next(e for e in events if e.get("event") == "status")
    assert json.loads(change["data"]) == {
        "display_number": order["display_number"],
        "status": "PAID",
    }


def _orders(snapshot: Event) -> list[dict[str, str]]:
    orders: list[dict[str, str]] = json.loads(snapshot["data"])["orders"]
    return orders


def test_tokens_given_in_the_query_string_never_reach_the_logs(tracking: TrackingStack) -> None:
    with httpx.Client(base_url=tracking.gateway_url, timeout=10) as api:
        order, customer = place_order(api, valid_cpf(105))
        token = token_of(customer)
        with api.stream(
            "GET", f"/order/{order['id']}/events", params={"access_token": token}
        ) as response:
            assert response.status_code == 200
            next(response.iter_lines())
    logs = Path(tracking.stack.log_dir).glob("*.log")
    assert not [log.name for log in logs if token in log.read_text(errors="replace")]
