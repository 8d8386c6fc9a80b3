"""The SQS publisher/consumer against the moto server."""

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest

from common.events import Envelope, Event, PaymentApproved, new_envelope
from common.messaging import Consumer, SqsPublisher
from tests.conftest import AwsResources

pytestmark = pytest.mark.integration


def approved() -> Envelope[PaymentApproved]:
    event = PaymentApproved(
        order_id=uuid4(), payment_id="1", amount="10.00", approved_at="2026-11-23T12:00:00Z"
    )
    return new_envelope(event, source="payment-service")


async def drain(consumer: Consumer, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 5)


def queue_depth(aws: AwsResources, queue: str) -> int:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


async def test_published_events_are_handled_and_deleted(
    aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    sqs = aio_clients["sqs"]
    queue = aws.queues["order"]
    sent = [approved() for _ in range(12)]
    for envelope in sent:
        await SqsPublisher(sqs).publish(queue, envelope)
    seen: list[Envelope[Event]] = []

    async def handle(envelope: Envelope[Event]) -> None:
        seen.append(envelope)

    consumer = Consumer(sqs, queue, {"payment-approved": handle}, wait_seconds=1)
    await drain(consumer, 2.5)
    assert sorted(e.meta.event_id for e in seen) == sorted(e.meta.event_id for e in sent)
    assert queue_depth(aws, queue) == 0


async def test_failing_handler_leaves_the_message_for_redelivery(
    aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    sqs = aio_clients["sqs"]
    queue = aws.queues["order"]
    await SqsPublisher(sqs).publish(queue, approved())
    attempts = 0

    async def flaky(_: Envelope[Event]) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("database down")

    consumer = Consumer(
        sqs, queue, {"payment-approved": flaky}, wait_seconds=1, retry_base_seconds=1
    )
    await drain(consumer, 4)
    assert attempts == 2
    assert queue_depth(aws, queue) == 0


async def test_a_database_outage_keeps_the_message_and_spaces_its_retries(
    aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    sqs = aio_clients["sqs"]
    queue = aws.queues["order"]
    await SqsPublisher(sqs).publish(queue, approved())
    attempts = 0

    async def database_down(_: Envelope[Event]) -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    consumer = Consumer(
        sqs, queue, {"payment-approved": database_down}, wait_seconds=1, retry_base_seconds=1
    )
    await drain(consumer, 4)
    # An ordinary failure would be back after 1 s; an outage waits OUTAGE_RETRY_BASE_SECONDS,
    # so its few receives before the DLQ outlast a failover. The message is kept, not poison.
    assert attempts == 1
    assert queue_depth(aws, queue) == 1
    url = (await sqs.get_queue_url(QueueName=queue))["QueueUrl"]
    visible = await sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert visible.get("Messages", []) == []  # still hidden: retried later, not now


async def test_poison_message_ends_in_the_dlq(
    aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    sqs = aio_clients["sqs"]
    sync_sqs = aws.client("sqs")
    queue = aws.queues["order"]
    url = sync_sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    sync_sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": sync_sqs.get_queue_attributes(
                        QueueUrl=sync_sqs.get_queue_url(QueueName=queue + "-dlq")["QueueUrl"],
                        AttributeNames=["QueueArn"],
                    )["Attributes"]["QueueArn"],
                    "maxReceiveCount": 2,
                }
            )
        },
    )
    sync_sqs.send_message(QueueUrl=url, MessageBody="{not json")
    handled = 0

    async def handle(_: Envelope[Event]) -> None:
        nonlocal handled
        handled += 1

    consumer = Consumer(
        sqs, queue, {"payment-approved": handle}, wait_seconds=1, retry_base_seconds=1
    )
    await drain(consumer, 5)
    assert handled == 0
    assert queue_depth(aws, queue) == 0
    assert queue_depth(aws, queue + "-dlq") == 1


async def test_stop_finishes_the_message_in_flight_then_stops_polling(
    aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    sqs = aio_clients["sqs"]
    queue = aws.queues["order"]
    await SqsPublisher(sqs).publish(queue, approved())
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(_: Envelope[Event]) -> None:
        started.set()
        await asyncio.sleep(2)
        finished.set()

    stop = asyncio.Event()
    consumer = Consumer(sqs, queue, {"payment-approved": slow}, wait_seconds=20)
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()  # what SIGTERM does in run_until_stopped
    began = asyncio.get_running_loop().time()
    await asyncio.wait_for(task, 10)
    took = asyncio.get_running_loop().time() - began
    assert finished.is_set(), "the in-flight message was abandoned"
    assert took < 5, "did not stop promptly after the batch"
    assert queue_depth(aws, queue) == 0, "the finished message was not deleted"


async def test_idle_consumer_stops_at_once_despite_long_polling(
    aws: AwsResources, aio_clients: dict[str, Any]
) -> None:
    stop = asyncio.Event()
    consumer = Consumer(aio_clients["sqs"], aws.queues["order"], {}, wait_seconds=20)
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.sleep(1)
    stop.set()
    await asyncio.wait_for(task, 3)
