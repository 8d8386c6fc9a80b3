"""SQS publisher and consumer loop.

The consumer long-polls batches of up to 10, handles them concurrently, dispatches by
`event_name`, deletes a message only after its handler succeeded, and on failure pushes
the next attempt out with exponential backoff through the visibility timeout. Poison
messages are never deleted: after maxReceiveCount SQS moves them to the DLQ.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common import metrics
from common.db_errors import database_unavailable
from common.events import Envelope, Event, PoisonMessage, parse_message
from common.logging import get_logger, set_correlation_id
from common.resources import load_resources
from common.tracing import consumer_span, traceparent_for_event
from common.worker import idle

log = get_logger(__name__)

Handler = Callable[[Envelope[Event]], Awaitable[None]]
MAX_BATCH = 10
MAX_RECEIVES = load_resources().max_receive_count  # the queues' redrive policy
# First retry delay of a message whose handler found the database away; doubling, the
# attempts left before the DLQ span 15 + 30 + 60 + 120 s, longer than a failover.
OUTAGE_RETRY_BASE_SECONDS = 15.0


@dataclass(frozen=True)
class OutgoingMessage:
    id: str  # unique within a batch; the outbox uses the event id
    body: str
    event_name: str
    correlation_id: str | None = None
    traceparent: str | None = None

    def attributes(self) -> dict[str, Any]:
        attrs = {"event_name": self.event_name}
        if self.correlation_id:
            attrs["correlation_id"] = self.correlation_id
        if self.traceparent:
            attrs["traceparent"] = self.traceparent
        return {k: {"DataType": "String", "StringValue": v} for k, v in attrs.items()}


def message_for(envelope: Envelope[Any]) -> OutgoingMessage:
    return OutgoingMessage(
        id=str(envelope.meta.event_id),
        body=envelope.to_json(),
        event_name=envelope.meta.event_name,
        correlation_id=str(envelope.meta.correlation_id),
        traceparent=traceparent_for_event(envelope.meta.correlation_id, envelope.meta.event_name),
    )


class QueueUrls:
    """Resolves queue names to URLs once per process."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self._urls: dict[str, str] = {}

    async def url(self, queue_name: str) -> str:
        if queue_name not in self._urls:
            response = await self._sqs.get_queue_url(QueueName=queue_name)
            self._urls[queue_name] = response["QueueUrl"]
        return self._urls[queue_name]


class SqsPublisher:
    def __init__(self, sqs: Any, urls: QueueUrls | None = None) -> None:
        self._sqs = sqs
        self._urls = urls or QueueUrls(sqs)

    async def publish_batch(self, queue_name: str, messages: Sequence[OutgoingMessage]) -> set[str]:
        """Send up to any number of messages; returns the ids SQS accepted."""
        url = await self._urls.url(queue_name)
        accepted: set[str] = set()
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            response = await self._sqs.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": m.id, "MessageBody": m.body, "MessageAttributes": m.attributes()}
                    for m in chunk
                ],
            )
            accepted.update(entry["Id"] for entry in response.get("Successful", []))
            for failure in response.get("Failed", []):
                log.warning(
                    "sqs rejected a message",
                    extra={
                        "message_id": failure.get("Id"),
                        "code": failure.get("Code"),
                        "queue": queue_name,
                    },
                )
        return accepted

    async def publish(self, queue_name: str, envelope: Envelope[Any]) -> None:
        message = message_for(envelope)
        if message.id not in await self.publish_batch(queue_name, [message]):
            raise RuntimeError(f"SQS did not accept {message.event_name} {message.id}")


def backoff_seconds(receive_count: int, base: float, cap: int = 15 * 60) -> int:
    """Visibility delay before attempt `receive_count + 1`: base, 2·base, 4·base… capped."""
    return int(min(cap, max(1, base * 2 ** max(0, receive_count - 1))))


def attempt_in_round(receive_count: int, max_receives: int = MAX_RECEIVES) -> int:
    """The attempt number since the message last came back from the DLQ (1..max_receives).

    A message redriven by StartMessageMoveTask keeps counting receives on LocalStack, the
    receive that dead-lettered it included: its first attempt after one redrive arrives
    with count max_receives + 2. A copy sent back by receive/send (moto) starts at 1 again.
    Either way it gets a fresh round of attempts, so its backoff restarts from the base.
    """
    return (max(1, receive_count) - 1) % (max_receives + 1) + 1


class Consumer:
    def __init__(
        self,
        sqs: Any,
        queue_name: str,
        handlers: Mapping[str, Handler],
        *,
        wait_seconds: int = 20,
        retry_base_seconds: float = 2.0,
        batches_in_flight: int = 4,
    ) -> None:
        self._sqs = sqs
        self._queue_name = queue_name
        self._batches_in_flight = batches_in_flight
        self._handlers = dict(handlers)
        self._wait_seconds = wait_seconds
        self._retry_base = retry_base_seconds
        self._urls = QueueUrls(sqs)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; a batch already received is always finished.

        Up to `batches_in_flight` received batches are handled at once, so one slow message
        (a slow call, a retried request) does not hold back the batches behind it.
        """
        url = await self._resolve_url(stop)
        failures = 0
        log.info("consumer started", extra={"queue": self._queue_name})
        stop_waiter = asyncio.ensure_future(stop.wait())
        slots = asyncio.Semaphore(self._batches_in_flight)
        batches: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                await slots.acquire()  # receive only what can be handled at once
                receive = asyncio.ensure_future(self._receive(url))
                await asyncio.wait({receive, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
                if not receive.done():
                    # Nothing was handed to us yet; anything SQS returns later reappears
                    # after its visibility timeout, so cancelling loses nothing.
                    receive.cancel()
                    slots.release()
                    break
                if receive.exception() is not None or not receive.result():
                    slots.release()
                    if receive.exception() is None:
                        continue  # an empty long poll
                    failures += 1
                    log.warning(
                        "receive failed (%s), retrying",
                        receive.exception(),
                        extra={"queue": self._queue_name, "failures": failures},
                    )
                    await idle(stop, min(30.0, 0.5 * 2**failures))
                    continue
                failures = 0
                batch = asyncio.ensure_future(self._finish_batch(url, receive.result()))
                batches.add(batch)
                batch.add_done_callback(batches.discard)
                batch.add_done_callback(lambda _: slots.release())
        except Exception:
            log.exception("consumer loop failed", extra={"queue": self._queue_name})
            raise
        finally:
            if batches:  # received batches are finished before the consumer stops
                await asyncio.gather(*batches, return_exceptions=True)
            stop_waiter.cancel()
            log.info("consumer stopped", extra={"queue": self._queue_name})

    async def _finish_batch(self, url: str, messages: list[dict[str, Any]]) -> None:
        try:
            await self.handle_batch(url, messages)
        except Exception as exc:  # e.g. the delete call failed: SQS redelivers,
            log.warning("batch bookkeeping failed: %s", exc)  # the inbox dedups

    async def _resolve_url(self, stop: asyncio.Event) -> str:
        """The queue URL, waiting out an SQS endpoint that is not reachable yet."""
        attempt = 0
        while True:
            try:
                return await self._urls.url(self._queue_name)
            except Exception as exc:
                if stop.is_set():
                    raise
                attempt += 1
                log.warning("cannot resolve queue %s (%s), retrying", self._queue_name, exc)
                await idle(stop, min(30.0, 0.5 * 2**attempt))

    async def _receive(self, url: str) -> list[dict[str, Any]]:
        response = await self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=MAX_BATCH,
            WaitTimeSeconds=self._wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    async def handle_batch(self, url: str, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        outcomes = await asyncio.gather(*(self._handle(m) for m in messages))
        done = [m for m, outcome in zip(messages, outcomes, strict=True) if outcome == "ok"]
        if done:
            await self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        for message, outcome in zip(messages, outcomes, strict=True):
            if outcome != "ok":
                await self._delay_retry(url, message, outage=outcome == "unavailable")

    async def _handle(self, message: dict[str, Any]) -> str:
        """ "ok" (delete it), or why not: "poison", "error", "unavailable" (the database)."""
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
        context = {
            "queue": self._queue_name,
            "sqs_message_id": message.get("MessageId"),
            "receive_count": receive_count,
        }
        set_correlation_id(None)
        started, outcome = time.perf_counter(), "ok"
        _observe_age(self._queue_name, message)
        try:
            envelope = parse_message(message.get("Body", ""))
            set_correlation_id(str(envelope.meta.correlation_id))
            context |= {
                "event_name": envelope.meta.event_name,
                "event_id": str(envelope.meta.event_id),
            }
            handler = self._handlers.get(envelope.meta.event_name)
            if handler is None:
                raise PoisonMessage(f"no handler for {envelope.meta.event_name!r} on this queue")
            traceparent = message.get("MessageAttributes", {}).get("traceparent", {})
            with consumer_span(
                envelope.meta.event_name,
                self._queue_name,
                traceparent.get("StringValue"),
                str(envelope.meta.correlation_id),
            ):
                await handler(envelope)
        except PoisonMessage as exc:
            outcome = "poison"
            log.error("poison message left for the DLQ: %s", exc, extra=context | {"poison": True})
            return outcome
        except Exception as exc:
            if database_unavailable(exc):  # not the message's fault: never let it turn poison
                outcome = "unavailable"
                log.warning(
                    "database unavailable, will retry: %s", type(exc).__name__, extra=context
                )
                return outcome
            outcome = "error"
            log.exception("handler failed, will retry: %s", type(exc).__name__, extra=context)
            return outcome
        finally:
            _observe_handler(self._queue_name, context.get("event_name"), outcome, started)
        log.info("message handled", extra=context)
        return outcome

    async def _delay_retry(self, url: str, message: dict[str, Any], *, outage: bool) -> None:
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
        # Every receive counts towards maxReceiveCount, failed or not: while the database is
        # away, attempts are spaced so that its five span an RDS failover (1-2 minutes).
        base = max(self._retry_base, OUTAGE_RETRY_BASE_SECONDS) if outage else self._retry_base
        try:
            await self._sqs.change_message_visibility(
                QueueUrl=url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=backoff_seconds(attempt_in_round(receive_count), base),
            )
        except Exception:  # the message simply reappears after the queue's default timeout
            log.warning("could not set retry backoff", exc_info=True)


def _observe_age(queue: str, message: dict[str, Any]) -> None:
    sent_ms = message.get("Attributes", {}).get("SentTimestamp")
    if sent_ms and str(sent_ms).isdigit():
        metrics.MESSAGE_AGE_SECONDS.labels(queue).observe(
            max(0.0, time.time() - int(sent_ms) / 1000)
        )


def _observe_handler(queue: str, event_name: Any, outcome: str, started: float) -> None:
    name = event_name if isinstance(event_name, str) else "unparsed"
    metrics.HANDLER_SECONDS.labels(queue, name, outcome).observe(time.perf_counter() - started)
    if outcome != "ok":
        metrics.HANDLER_FAILURES.labels(queue, name, outcome).inc()
