"""DynamoDB equivalents of the outbox and inbox.

A state change, the inbox marker of the event that caused it, and the outbox item of the
event it produces are written in one TransactWriteItems call: all or nothing. The inbox
put is conditional, so a redelivered event cancels the transaction and has no effect.
`DynamoOutboxRelay` publishes outbox items and deletes them once SQS accepted them.
"""

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from common import metrics
from common.events import DESTINATIONS, Envelope
from common.logging import get_logger
from common.messaging import OutgoingMessage, SqsPublisher
from common.settings import ServiceSettings
from common.tracing import format_traceparent, start_publish_span, traceparent_for_event
from common.worker import idle

log = get_logger(__name__)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
INBOX_RETENTION_SECONDS = 14 * 24 * 3600  # longer than SQS retention: duplicates stay caught


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


class DuplicateEvent(Exception):
    """The inbox already holds this event id: it was processed before."""


class ConditionFailed(Exception):
    """A conditional write in the transaction failed (other than the inbox)."""

    def __init__(self, index: int) -> None:
        super().__init__(f"condition failed on transaction item {index}")
        self.index = index


def inbox_put(table: str, envelope: Envelope[Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(
                {
                    "event_id": str(envelope.meta.event_id),
                    "event_name": envelope.meta.event_name,
                    "expires_at": int(time.time()) + INBOX_RETENTION_SECONDS,
                }
            ),
            "ConditionExpression": "attribute_not_exists(event_id)",
        }
    }


def outbox_puts(table: str, envelope: Envelope[Any]) -> list[dict[str, Any]]:
    body = envelope.to_json()
    traceparent = traceparent_for_event(envelope.meta.correlation_id, envelope.meta.event_name)
    return [
        {
            "Put": {
                "TableName": table,
                "Item": to_item(
                    {
                        "event_id": f"{envelope.meta.event_id}:{destination}",
                        "destination": destination,
                        "event_name": envelope.meta.event_name,
                        "correlation_id": str(envelope.meta.correlation_id),
                        "traceparent": traceparent,
                        "body": body,
                        "created_at": int(time.time() * 1000),
                    }
                ),
            }
        }
        for destination in DESTINATIONS[envelope.meta.event_name]
    ]


async def transact(dynamodb: Any, items: list[dict[str, Any]]) -> None:
    """TransactWriteItems; a failed inbox condition (item 0) raises DuplicateEvent."""
    try:
        await dynamodb.transact_write_items(TransactItems=items)
    except dynamodb.exceptions.TransactionCanceledException as exc:
        reasons = exc.response.get("CancellationReasons", [])
        failed = [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
        if not failed:
            raise
        first = failed[0]
        if first == 0 and "event_id" in str(items[0].get("Put", {}).get("ConditionExpression", "")):
            raise DuplicateEvent() from exc
        raise ConditionFailed(first) from exc


class DynamoOutboxRelay:
    def __init__(
        self,
        dynamodb: Any,
        table: str,
        publisher: SqsPublisher,
        queue_names: dict[str, str],
        *,
        idle_seconds: float = 0.1,
        max_idle_seconds: float = 1.0,
        retry_seconds: float = 2.0,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._publisher = publisher
        self._queue_names = queue_names
        self._idle_seconds = idle_seconds
        self._max_idle_seconds = max(idle_seconds, max_idle_seconds)
        self._retry_seconds = retry_seconds

    @classmethod
    def factory(
        cls, dynamodb: Any, table: str
    ) -> "Callable[[SqsPublisher, ServiceSettings], DynamoOutboxRelay]":
        """The relay of a service's worker (`common.wiring.worker_loops`), tuned by settings."""

        def build(publisher: SqsPublisher, settings: ServiceSettings) -> DynamoOutboxRelay:
            return cls(
                dynamodb,
                table,
                publisher,
                settings.queue_names(),
                idle_seconds=settings.relay_idle_seconds,
                max_idle_seconds=settings.relay_max_idle_seconds,
            )

        return build

    async def run(self, stop: asyncio.Event) -> None:
        """Scan again at once while there is work; when there is none, wait `idle_seconds`,
        doubling up to `max_idle_seconds`: an idle relay would otherwise scan ten times a
        second, for nothing, forever (DynamoDB bills every scan)."""
        log.info("dynamodb outbox relay started", extra={"table": self._table})
        pause = self._idle_seconds
        while not stop.is_set():
            try:
                published = await self.publish_outbox_batch()
            except Exception as exc:
                log.warning("outbox relay pass failed, will retry: %s", exc)
                await idle(stop, self._retry_seconds)
                continue
            if published:
                pause = self._idle_seconds
                continue
            await idle(stop, pause)
            pause = min(2 * pause, self._max_idle_seconds)
        log.info("dynamodb outbox relay stopped")

    async def publish_outbox_batch(self, limit: int = 100) -> int:
        response = await self._dynamodb.scan(
            TableName=self._table, Limit=limit, ConsistentRead=True
        )
        items = sorted(
            (from_item(i) for i in response.get("Items", [])), key=lambda i: int(i["created_at"])
        )
        if not items:
            return 0
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            groups[item["destination"]].append(item)
        sent = 0
        for destination, group in groups.items():
            spans = [
                start_publish_span(item["event_name"], destination, item.get("traceparent"))
                for item in group
            ]
            messages = [
                OutgoingMessage(
                    id=str(i),
                    body=item["body"],
                    event_name=item["event_name"],
                    correlation_id=item.get("correlation_id"),
                    traceparent=format_traceparent(spans[i].get_span_context()),
                )
                for i, item in enumerate(group)
            ]
            try:
                accepted = await self._publisher.publish_batch(
                    self._queue_names[destination], messages
                )
            finally:
                for span in spans:
                    span.end()
            done = [group[int(i)] for i in accepted]
            for item in done:
                metrics.record_published(
                    destination, item["event_name"], item.get("correlation_id")
                )
            for start in range(0, len(done), 25):
                await self._dynamodb.batch_write_item(
                    RequestItems={
                        self._table: [
                            {"DeleteRequest": {"Key": to_item({"event_id": item["event_id"]})}}
                            for item in done[start : start + 25]
                        ]
                    }
                )
            sent += len(done)
        return sent


def dynamo_outbox_probe(dynamodb: Any, table: str) -> metrics.Probe:
    """Pending items of a DynamoDB outbox (the relay deletes what it sent, so it stays small)."""

    async def dynamo_outbox() -> None:
        request: dict[str, Any] = {
            "TableName": table,
            "ProjectionExpression": "created_at",
            "ConsistentRead": True,
        }
        count, oldest = 0, None
        for _ in range(20):  # bounded: a backlog past 20 pages is alarming enough as is
            response = await dynamodb.scan(**request)
            for item in response.get("Items", []):
                count += 1
                created = int(item["created_at"]["N"])
                oldest = created if oldest is None else min(oldest, created)
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        metrics.record_outbox_backlog(
            count, None if oldest is None else time.time() - oldest / 1000
        )

    return dynamo_outbox
