"""Inspect and redrive the dead-letter queues: `make dlq` / `python -m infra.ops.dlq`.

    python -m infra.ops.dlq list
    python -m infra.ops.dlq show order-service-queue [--max 10]
    python -m infra.ops.dlq redrive order-service-queue [--max 100]

Works against AWS or a local emulator (AWS_ENDPOINT_URL, or AWS_ENDPOINT_URL_SQS). Redrive
uses SQS's own StartMessageMoveTask where the backend has it (AWS, LocalStack): SQS moves
every message back itself, none is held by this process. The moto server lacks it, and a
move task cannot stop after N messages, so there (and with --max) redrive is receive → send
to the source queue → delete, which keeps the body and message attributes untouched.
"""

import argparse
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from common.aws import sync_client
from common.events import PoisonMessage, parse_message
from common.resources import load_resources

MOVE_TASK_TIMEOUT_SECONDS = 300.0
# How a backend without message move tasks answers ListMessageMoveTasks (moto: a bare 500).
_NOT_IMPLEMENTED = {"InvalidAction", "UnknownOperationException", "NotImplemented"}
_MOVE_TASK_ENDED = {"COMPLETED", "CANCELLED", "FAILED"}
RedriveMethod = Literal["message-move-task", "receive-send"]


@dataclass(frozen=True)
class Redrive:
    moved: int
    method: RedriveMethod


def _url(sqs: Any, name: str) -> str:
    url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return url


def source_queues() -> list[str]:
    names = load_resources().queues
    return [
        os.environ.get(f"{service.upper()}_QUEUE_NAME", name) for service, name in names.items()
    ]


def dlq_of(queue: str) -> str:
    return load_resources().dlq_name(queue)


def depth(sqs: Any, queue: str) -> dict[str, int]:
    attrs = sqs.get_queue_attributes(QueueUrl=_url(sqs, queue), AttributeNames=["All"])[
        "Attributes"
    ]
    return {
        "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


def list_dlqs(sqs: Any) -> list[dict[str, Any]]:
    return [{"queue": q, "dlq": dlq_of(q), **depth(sqs, dlq_of(q))} for q in source_queues()]


def _receive(sqs: Any, url: str, limit: int, visibility: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while len(messages) < limit:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - len(messages)),
            VisibilityTimeout=visibility,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            break
        messages.extend(batch)
    return messages


def diagnose(body: str) -> str:
    try:
        envelope = parse_message(body)
    except PoisonMessage as exc:
        return f"poison: {exc}"
    return (
        f"valid {envelope.meta.event_name} v{envelope.meta.event_version}: no handler on "
        "this queue, or its handler kept failing (see the worker log for this event_id)"
    )


def show(sqs: Any, queue: str, limit: int) -> list[dict[str, Any]]:
    url = _url(sqs, dlq_of(queue))
    messages = _receive(sqs, url, limit, visibility=5)
    for message in messages:  # release them again: showing must not hide them
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return [
        {
            "message_id": m["MessageId"],
            "receive_count": m.get("Attributes", {}).get("ApproximateReceiveCount"),
            "sent_at": m.get("Attributes", {}).get("SentTimestamp"),
            "diagnosis": diagnose(m.get("Body", "")),
            "body": m.get("Body", "")[:2000],
        }
        for m in messages
    ]


def _arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn: str = attributes["Attributes"]["QueueArn"]
    return arn


def _without_retries(sqs: Any) -> Any:
    """A twin of `sqs` that asks once: the SDK would retry moto's 500 for seconds."""
    credentials = sqs._get_credentials()
    keys = (
        {}
        if credentials is None
        else {
            "aws_access_key_id": credentials.access_key,
            "aws_secret_access_key": credentials.secret_key,
            "aws_session_token": credentials.token,
        }
    )
    return boto3.client(
        "sqs",
        endpoint_url=sqs.meta.endpoint_url,
        region_name=sqs.meta.region_name,
        config=sqs.meta.config.merge(Config(retries={"total_max_attempts": 1})),
        **keys,
    )


def has_message_move_tasks(sqs: Any, dlq_arn: str) -> bool:
    """Whether the backend implements message move tasks (a read-only probe)."""
    try:
        _without_retries(sqs).list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500 or exc.response["Error"]["Code"] in _NOT_IMPLEMENTED:
            return False
        raise
    return True


def redrive(sqs: Any, queue: str, limit: int | None = None) -> Redrive:
    """Send the DLQ's messages back to `queue`: all of them, or at most `limit`."""
    dlq_url, target_url = _url(sqs, dlq_of(queue)), _url(sqs, queue)
    dlq_arn = _arn(sqs, dlq_url)
    if limit is None and has_message_move_tasks(sqs, dlq_arn):
        return Redrive(_move_task(sqs, dlq_arn, _arn(sqs, target_url)), "message-move-task")
    return Redrive(_receive_send(sqs, dlq_url, target_url, limit), "receive-send")


def _move_task(sqs: Any, dlq_arn: str, target_arn: str) -> int:
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=target_arn)
    deadline = time.monotonic() + MOVE_TASK_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)["Results"]
        if task["Status"] in _MOVE_TASK_ENDED:
            if task["Status"] != "COMPLETED":
                raise RuntimeError(f"message move task {task['Status']}: {task}")
            return int(task.get("ApproximateNumberOfMessagesMoved", 0))
        time.sleep(0.5)
    raise TimeoutError(f"the message move task from {dlq_arn} is still running")


def _receive_send(sqs: Any, dlq_url: str, target_url: str, limit: int | None) -> int:
    if limit is None:  # what is there now: a message that fails again must not loop forever
        limit = int(
            sqs.get_queue_attributes(
                QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
        )
    moved = 0
    for message in _receive(sqs, dlq_url, limit, visibility=60):
        sqs.send_message(
            QueueUrl=target_url,
            MessageBody=message["Body"],
            MessageAttributes=message.get("MessageAttributes", {}),
        )
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
        moved += 1
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="depth of every DLQ")
    for name, default in (("show", 10), ("redrive", None)):
        cmd = sub.add_parser(name)
        cmd.add_argument("queue", help="the source queue, e.g. order-service-queue")
        cmd.add_argument("--max", type=int, default=default, help=f"default: {default or 'all'}")
    args = parser.parse_args()
    sqs = sync_client("sqs")
    if args.command == "list":
        for row in list_dlqs(sqs):
            print(f"{row['dlq']:40} visible={row['visible']:<5} in_flight={row['in_flight']}")
    elif args.command == "show":
        print(json.dumps(show(sqs, args.queue, args.max), indent=2))
    else:
        started = time.monotonic()
        result = redrive(sqs, args.queue, args.max)
        print(
            f"redrove {result.moved} message(s) from {dlq_of(args.queue)} to {args.queue} "
            f"in {time.monotonic() - started:.1f}s ({result.method})"
        )


if __name__ == "__main__":
    main()
