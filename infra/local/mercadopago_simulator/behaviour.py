"""Mercado Pago at its worst, switchable per test through `POST /simulator/behaviour`.

Every field has the well-behaved default, so `POST /simulator/behaviour` with `{}` (or
`DELETE`) puts the simulator back to normal. An outage (`down_for_seconds`) starts when it
is set and ends by itself; meanwhile the API answers 503 or, with `down_mode=hang`, holds
the request until the outage is over (a client with a short timeout sees a timeout).
"""

import asyncio
import time
from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field


class Behaviour(BaseModel):
    drop_webhooks: bool = False  # never deliver a notification (nor retry it)
    webhook_delay_seconds: float = Field(0.0, ge=0, le=600)
    webhook_form: Literal["webhook", "ipn"] = "webhook"  # ipn: ?topic=payment&id=…, unsigned
    sign_webhooks: bool = True
    latency_seconds: float = Field(0.0, ge=0, le=600)  # added to every API call
    down_for_seconds: float = Field(0.0, ge=0, le=3600)
    down_mode: Literal["503", "hang"] = "503"


class BehaviourState:
    def __init__(self) -> None:
        self.current = Behaviour()
        self.down_until = 0.0
        self.creations_per_key: Counter[str] = Counter()  # POST /v1/payments received
        self.payments_per_key: Counter[str] = Counter()  # payments actually created
        self.refunds_per_payment: Counter[int] = Counter()

    def set(self, behaviour: Behaviour) -> None:
        self.current = behaviour
        self.down_until = time.monotonic() + behaviour.down_for_seconds

    def is_down(self) -> bool:
        return time.monotonic() < self.down_until

    async def wait_until_up(self) -> None:
        """Hold a request until the outage is over (it is a deadline, not an event)."""
        remaining = self.down_until - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)

    def stats(self) -> dict[str, object]:
        return {
            "creations_per_key": dict(self.creations_per_key),
            "payments_per_key": dict(self.payments_per_key),
            "refunds_per_payment": {str(k): v for k, v in self.refunds_per_payment.items()},
            "down": self.is_down(),
        }
