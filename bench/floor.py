"""The queue floor: the platform's 7 messages per order, with nothing but SQS in between.

Bare aioboto3 publisher and consumers on the same emulator, same batch size (10) and long
poll as the services' consumers, and the same causal graph per order:

    order-payment-requested  -> payment queue    (injected at the pipeline's rate)
    payment-created          -> order queue      } both sent when the payment queue's
    payment-approved         -> order queue      } consumer takes the request
    order-paid               -> production queue (when the order queue takes the approval)
    production-started / -completed / -delivered -> order queue (when production takes
                                                   order-paid; the order is done when
                                                   the order queue takes -delivered)

Whatever the pipeline spends beyond this floor is the services' own work (Postgres,
DynamoDB, HTTP, Mercado Pago, the kitchen), not the queue.
"""

import asyncio
import contextlib
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aioboto3

QUEUES = ("payment", "order", "production")
# event received -> events it causes, each with its destination queue
NEXT: dict[str, list[tuple[str, str]]] = {
    "order-payment-requested": [("payment-created", "order"), ("payment-approved", "order")],
    "payment-approved": [("order-paid", "production")],
    "order-paid": [
        ("production-started", "order"),
        ("production-completed", "order"),
        ("production-delivered", "order"),
    ],
}
MESSAGES_PER_ORDER = 7
PADDING = "x" * 900  # about the size of a real envelope
EMULATOR_KEYS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@dataclass
class FloorRun:
    orders: int
    started: float = 0.0
    # per order: monotonic time of injection, approval taken, order-paid taken, delivered taken
    injected: dict[str, float] = field(default_factory=dict)
    milestones: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    messages: int = 0
    delivered: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self, order_id: str, event: str, at: float) -> None:
        self.milestones[order_id][event] = at
        self.messages += 1
        if event == "production-delivered":
            self.delivered += 1
            if self.delivered >= self.orders:
                self.finished.set()


def _entry(order_id: str, event: str) -> dict[str, Any]:
    body = json.dumps({"order_id": order_id, "event_name": event, "padding": PADDING})
    return {
        "Id": uuid.uuid4().hex,
        "MessageBody": body,
        "MessageAttributes": {
            "event_name": {"DataType": "String", "StringValue": event},
            "correlation_id": {"DataType": "String", "StringValue": order_id},
        },
    }


async def _send(sqs: Any, url: str, entries: list[dict[str, Any]]) -> None:
    for start in range(0, len(entries), 10):
        await sqs.send_message_batch(QueueUrl=url, Entries=entries[start : start + 10])


async def _consume(sqs: Any, urls: dict[str, str], queue: str, run: FloorRun, wait: int) -> None:
    while not run.finished.is_set():
        response = await sqs.receive_message(
            QueueUrl=urls[queue],
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            continue
        outgoing: dict[str, list[dict[str, Any]]] = defaultdict(list)
        now = time.monotonic()
        for message in messages:
            body = json.loads(message["Body"])
            run.take(body["order_id"], body["event_name"], now)
            for event, destination in NEXT.get(body["event_name"], []):
                outgoing[destination].append(_entry(body["order_id"], event))
        for destination, entries in outgoing.items():
            await _send(sqs, urls[destination], entries)
        await sqs.delete_message_batch(
            QueueUrl=urls[queue],
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )


async def run_floor(
    endpoint_url: str, orders: int, rate: float, wait_seconds: int = 20, within: float = 600
) -> FloorRun:
    """Inject `orders` requests at `rate`/s and time until every order's last message is taken."""
    prefix = f"bench-floor-{uuid.uuid4().hex[:6]}-"
    run = FloorRun(orders)
    session = aioboto3.Session(region_name="us-east-1")
    async with session.client("sqs", endpoint_url=endpoint_url, **EMULATOR_KEYS) as sqs:
        urls = {q: (await sqs.create_queue(QueueName=prefix + q))["QueueUrl"] for q in QUEUES}
        consumers = [
            asyncio.ensure_future(_consume(sqs, urls, q, run, wait_seconds)) for q in QUEUES
        ]
        try:
            run.started = time.monotonic()
            for i in range(orders):
                await asyncio.sleep(max(0.0, run.started + i / rate - time.monotonic()))
                order_id = str(uuid.uuid4())
                run.injected[order_id] = time.monotonic()
                await _send(sqs, urls["payment"], [_entry(order_id, "order-payment-requested")])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.finished.wait(), within)
        finally:
            for task in consumers:
                task.cancel()
            await asyncio.gather(*consumers, return_exceptions=True)
            for url in urls.values():
                await sqs.delete_queue(QueueUrl=url)
    return run
