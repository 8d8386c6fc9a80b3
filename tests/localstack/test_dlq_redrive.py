"""`infra/ops/dlq.py redrive` on both backends: StartMessageMoveTask on LocalStack, the
receive -> send -> delete fallback on moto, with the same outcome for the messages."""

import time
import uuid
from dataclasses import replace
from typing import Any

import pytest

from common.messaging import attempt_in_round
from common.resources import load_resources
from infra.local.bootstrap import create_queues
from infra.local.stack import Stack
from infra.ops import dlq
from tests.localstack.conftest import client

pytestmark = [pytest.mark.localstack, pytest.mark.integration]
MAX_RECEIVES = 2
METHOD = {"localstack": "message-move-task", "moto": "receive-send"}


@pytest.fixture(params=["localstack", "moto"])
def backend(request: pytest.FixtureRequest, stack: Stack) -> tuple[str, Any]:
    url = stack.localstack.url if request.param == "localstack" else stack.moto.url
    return request.param, client("sqs", url)


def _fresh_queue(sqs: Any) -> tuple[str, str]:
    """A source queue (redrive after MAX_RECEIVES receives) and its DLQ; returns name, url."""
    resources = replace(load_resources(), max_receive_count=MAX_RECEIVES)
    prefix = f"r{uuid.uuid4().hex[:8]}-"
    name = prefix + resources.queues["order"]
    return name, create_queues(sqs, resources, prefix)[name]


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=1,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])
    return messages


def _fail_until_dead_lettered(sqs: Any, name: str, url: str, count: int) -> None:
    """Receive without deleting, as a failing consumer does, until SQS dead-letters them."""
    deadline = time.monotonic() + 30
    while dlq.depth(sqs, dlq.dlq_of(name))["visible"] < count:
        assert time.monotonic() < deadline, "messages never reached the DLQ"
        for message in _receive(sqs, url):
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )


def test_redrive_sends_every_dead_letter_back_untouched(backend: tuple[str, Any]) -> None:
    kind, sqs = backend
    name, url = _fresh_queue(sqs)
    sent = {}
    for i in range(3):
        attributes = {
            "event_name": {"DataType": "String", "StringValue": "order-paid"},
            "correlation_id": {"DataType": "String", "StringValue": str(uuid.uuid4())},
        }
        body = f'{{"n": {i}}}'
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
        sent[body] = attributes
    _fail_until_dead_lettered(sqs, name, url, len(sent))

    assert dlq.redrive(sqs, name) == dlq.Redrive(len(sent), METHOD[kind])  # type: ignore[arg-type]

    back = []
    deadline = time.monotonic() + 15
    while len(back) < len(sent) and time.monotonic() < deadline:
        back += _receive(sqs, url)
    assert {m["Body"]: m["MessageAttributes"] for m in back} == sent
    assert dlq.depth(sqs, dlq.dlq_of(name)) == {"visible": 0, "in_flight": 0}
    # LocalStack's move task keeps counting receives (the one that dead-lettered them too);
    # moto's copy starts again at 1. The consumer's retry backoff restarts either way.
    counts = {int(m["Attributes"]["ApproximateReceiveCount"]) for m in back}
    assert counts == ({MAX_RECEIVES + 2} if kind == "localstack" else {1})
    assert {attempt_in_round(c, MAX_RECEIVES) for c in counts} == {1}


def test_redrive_with_a_limit_moves_at_most_that_many(backend: tuple[str, Any]) -> None:
    _, sqs = backend
    name, url = _fresh_queue(sqs)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    _fail_until_dead_lettered(sqs, name, url, 3)
    assert dlq.redrive(sqs, name, limit=2) == dlq.Redrive(2, "receive-send")
    assert dlq.depth(sqs, dlq.dlq_of(name))["visible"] == 1
