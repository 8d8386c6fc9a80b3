"""What a browser's EventSource does, for tests: read a text/event-stream response, and when
it ends reconnect after `retry:` ms with `Last-Event-ID` — as the board and kitchen pages do
through API Gateway, which hands over each response only once it has ended."""

import asyncio
import time
from collections.abc import Callable

import httpx

Event = dict[str, str]  # fields of one event; "received" = time.time() it arrived


class EventSource:
    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        params: dict[str, str] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        self._client = client
        self._url = url
        self._params = params or {}
        self.last_event_id = last_event_id
        self.retry_ms = 3000  # the browser's default until the server says otherwise
        self.responses = 0  # how many times it connected
        self.closed = False  # an `end` event: nothing more will come

    async def until(
        self, done: Callable[[list[Event]], bool], wait_seconds: float = 30.0
    ) -> list[Event]:
        """The events read (over as many responses as it takes) until `done(events)` holds."""
        events: list[Event] = []

        async def follow() -> None:
            while not self.closed:
                if await self._one_response(events, done):
                    return
                await asyncio.sleep(self.retry_ms / 1000)

        await asyncio.wait_for(follow(), wait_seconds)
        return events

    async def _one_response(self, events: list[Event], done: Callable[[list[Event]], bool]) -> bool:
        headers = {"Last-Event-ID": self.last_event_id} if self.last_event_id else {}
        async with self._client.stream(
            "GET", self._url, params=self._params, headers=headers
        ) as response:
            assert response.status_code == 200, (response.status_code, await response.aread())
            assert response.headers["content-type"].startswith("text/event-stream")
            self.responses += 1
            current: Event = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    continue
                if line:
                    field, _, value = line.partition(":")
                    current[field] = value.removeprefix(" ")
                    continue
                if "retry" in current and current["retry"].isdigit():
                    self.retry_ms = int(current.pop("retry"))
                if "id" in current:
                    self.last_event_id = current["id"]
                if "data" in current:
                    events.append({**current, "received": str(time.time())})
                    if current.get("event") == "end":
                        self.closed = True
                current = {}
                if events and done(events):
                    return True
        return False


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]
