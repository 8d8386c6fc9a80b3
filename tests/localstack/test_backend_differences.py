"""What our code relies on, on both local backends, where LocalStack and moto could differ:
message attributes and their MD5, delays and visibility (the consumer's retry backoff),
Secrets Manager versions, and queue URLs (opaque to us: only GetQueueUrl makes them)."""

import hashlib
import struct
import time
import uuid
from typing import Any

import pytest

from common.messaging import OutgoingMessage
from infra.local.stack import Stack
from tests.localstack.conftest import client

pytestmark = [pytest.mark.localstack, pytest.mark.integration]


@pytest.fixture(params=["localstack", "moto"])
def endpoint(request: pytest.FixtureRequest, stack: Stack) -> tuple[str, str]:
    url = stack.localstack.url if request.param == "localstack" else stack.moto.url
    return request.param, url


def _queue(sqs: Any) -> tuple[str, str]:
    name = f"d{uuid.uuid4().hex[:8]}"
    return name, sqs.create_queue(QueueName=name)["QueueUrl"]


def attributes_md5(attributes: dict[str, dict[str, str]]) -> str:
    """MD5OfMessageAttributes as AWS defines it (string attributes: transport type 1)."""
    encoded = b""
    for name in sorted(attributes):
        data_type, value = attributes[name]["DataType"], attributes[name]["StringValue"]
        for part in (name, data_type):
            encoded += struct.pack(">I", len(part.encode())) + part.encode()
        encoded += b"\x01" + struct.pack(">I", len(value.encode())) + value.encode()
    return hashlib.md5(encoded).hexdigest()  # noqa: S324 - SQS's checksum, not security


def test_message_attributes_and_their_md5_are_what_aws_computes(endpoint: tuple[str, str]) -> None:
    _, url = endpoint
    sqs = client("sqs", url)
    _, queue_url = _queue(sqs)
    message = OutgoingMessage(
        id="e1", body='{"x": 1}', event_name="order-paid", correlation_id=str(uuid.uuid4())
    )
    attributes = message.attributes()
    sent = sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": message.id, "MessageBody": message.body, "MessageAttributes": attributes}],
    )["Successful"][0]
    (received,) = sqs.receive_message(
        QueueUrl=queue_url, WaitTimeSeconds=2, MessageAttributeNames=["All"]
    )["Messages"]
    expected = attributes_md5(attributes)
    assert sent["MD5OfMessageAttributes"] == received["MD5OfMessageAttributes"] == expected
    assert sent["MD5OfMessageBody"] == hashlib.md5(message.body.encode()).hexdigest()  # noqa: S324
    assert received["MessageAttributes"] == attributes


def test_delayed_and_backed_off_messages_stay_hidden_until_their_time(
    endpoint: tuple[str, str],
) -> None:
    _, url = endpoint
    sqs = client("sqs", url)
    _, queue_url = _queue(sqs)
    sent_at = time.monotonic()
    sqs.send_message(QueueUrl=queue_url, MessageBody="late", DelaySeconds=2)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
    assert time.monotonic() - sent_at >= 1.5
    # The consumer's retry backoff: a failed message hides for its backoff, then returns.
    sqs.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=2
    )
    hidden_at = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
    (again,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
    assert again["Body"] == "late" and time.monotonic() - hidden_at >= 1.5


def test_a_new_secret_value_becomes_current_and_the_old_one_previous(
    endpoint: tuple[str, str],
) -> None:
    _, url = endpoint
    secrets = client("secretsmanager", url)
    name = f"fastfood/test-{uuid.uuid4().hex[:8]}"
    secrets.create_secret(Name=name, SecretString='{"v": 1}')
    secrets.put_secret_value(SecretId=name, SecretString='{"v": 2}')
    current = secrets.get_secret_value(SecretId=name)
    previous = secrets.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert (current["SecretString"], current["VersionStages"]) == ('{"v": 2}', ["AWSCURRENT"])
    assert previous["SecretString"] == '{"v": 1}'
    stages = secrets.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert sorted(stages.values()) == [["AWSCURRENT"], ["AWSPREVIOUS"]]


def test_queue_urls_differ_in_shape_and_come_only_from_get_queue_url(
    endpoint: tuple[str, str],
) -> None:
    kind, url = endpoint
    sqs = client("sqs", url)
    name, created = _queue(sqs)
    resolved = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    shape = {
        "localstack": f"{url}/queue/us-east-1/000000000000/{name}",  # SQS_ENDPOINT_STRATEGY=path
        "moto": f"{url}/123456789012/{name}",
    }
    assert created == resolved == shape[kind]
