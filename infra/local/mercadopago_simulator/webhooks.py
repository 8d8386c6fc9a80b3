"""Signed webhook delivery, as Mercado Pago does it.

`POST {notification_url}?data.id={id}&type=payment` with headers
`x-signature: ts=<ms>,v1=<hex>` and `x-request-id: <uuid>`, where v1 is
HMAC-SHA256(secret, "id:{data.id};request-id:{x-request-id};ts:{ts};") and ts is in
milliseconds since the epoch. A delivery that does not get a 2xx is retried in the background.
"""

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from infra.local.mercadopago_simulator.behaviour import BehaviourState

log = logging.getLogger(__name__)
USER_ID = "1234567890"  # the simulated seller account
# Mercado Pago keeps retrying for days; ~10 minutes is enough to outlive a crashed worker's
# message coming back after its visibility timeout.
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 60.0, 120.0, 300.0)


def sign_webhook(secret: str, data_id: str, request_id: str, ts_ms: int) -> str:
    """The `x-signature` header value for one delivery."""
    manifest = f"id:{data_id};request-id:{request_id};ts:{ts_ms};"
    digest = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return f"ts={ts_ms},v1={digest}"


def notification_body(payment_id: int) -> dict[str, Any]:
    return {
        "action": "payment.updated",
        "api_version": "v1",
        "data": {"id": str(payment_id)},
        "date_created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "id": secrets.randbelow(10**11),
        "live_mode": False,
        "type": "payment",
        "user_id": USER_ID,
    }


class Background:
    """Tasks the simulator runs on its own (retries, auto-approval, expiry), cancelled at exit."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass(frozen=True)
class Delivery:
    """One signed notification as sent: replaying it keeps its original `ts`."""

    url: str
    payment_id: int
    request_id: str
    ts_ms: int
    form: str = "webhook"
    signed: bool = True


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        secret: str,
        background: Background,
        retry_delays: Sequence[float],
        duplicate: bool = False,
        behaviour: BehaviourState | None = None,
    ) -> None:
        self._client = client
        self._secret = secret
        self._background = background
        self._retry_delays = tuple(retry_delays)
        self._copies = 2 if duplicate else 1
        self._behaviour = behaviour or BehaviourState()
        self.last: dict[int, Delivery] = {}  # per payment, for replays

    async def deliver(self, payment: dict[str, Any]) -> int | None:
        """First attempt now (its HTTP status is returned); retries continue in background.
        Behaviour: dropped (None), delayed (sent in background, None), IPN form, unsigned."""
        url = payment.get("notification_url")
        behaviour = self._behaviour.current
        if not url or behaviour.drop_webhooks:
            return None
        if behaviour.webhook_delay_seconds > 0:
            delay = behaviour.webhook_delay_seconds
            self._background.spawn(self._later(url, payment["id"], delay))
            return None
        return await self._deliver_now(url, payment["id"])

    async def replay(self, payment_id: int) -> int | None:
        """Send the last notification again exactly as it was (original ts and request id)."""
        delivery = self.last.get(payment_id)
        return await self._send(delivery) if delivery else None

    async def _later(self, url: str, payment_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._deliver_now(url, payment_id)

    async def _deliver_now(self, url: str, payment_id: int) -> int | None:
        attempts = [self._attempt(url, payment_id) for _ in range(self._copies)]
        statuses = await asyncio.gather(*attempts)
        if not any(status is not None and 200 <= status < 300 for status in statuses):
            self._background.spawn(self._retry(url, payment_id))
        return statuses[0]

    async def _retry(self, url: str, payment_id: int) -> None:
        for delay in self._retry_delays:
            await asyncio.sleep(delay)
            if self._behaviour.current.drop_webhooks:
                return
            status = await self._attempt(url, payment_id)
            if status is not None and 200 <= status < 300:
                return
        log.warning("webhook for payment %s given up after retries", payment_id)

    async def _attempt(self, url: str, payment_id: int) -> int | None:
        behaviour = self._behaviour.current
        delivery = Delivery(
            url,
            payment_id,
            str(uuid.uuid4()),
            int(time.time() * 1000),
            behaviour.webhook_form,
            behaviour.sign_webhooks,
        )
        self.last[payment_id] = delivery
        return await self._send(delivery)

    async def _send(self, delivery: Delivery) -> int | None:
        payment_id, headers = delivery.payment_id, {"x-request-id": delivery.request_id}
        if delivery.signed:
            headers["x-signature"] = sign_webhook(
                self._secret, str(payment_id), delivery.request_id, delivery.ts_ms
            )
        if delivery.form == "ipn":  # the legacy IPN: topic/id in the query, no body
            params, body = {"topic": "payment", "id": str(payment_id)}, None
        else:
            params = {"data.id": str(payment_id), "type": "payment"}
            body = notification_body(payment_id)
        try:
            response = await self._client.post(
                delivery.url, params=params, json=body, headers=headers, timeout=10.0
            )
        except httpx.HTTPError as exc:
            log.warning("webhook for payment %s failed: %s", payment_id, exc)
            return None
        log.info("webhook for payment %s answered %s", payment_id, response.status_code)
        return response.status_code
