"""Inspect and redrive the dead-letter queues: `make dlq` / `python -m infra.ops.dlq`.

    python -m infra.ops.dlq list
    python -m infra.ops.dlq show order-service-queue [--max 10]
    python -m infra.ops.dlq redrive order-service-queue [--max 100]

Works against AWS or the local emulator (AWS_ENDPOINT_URL). Redrive is receive → send to the
source queue → delete, which works everywhere (moto lacks StartMessageMoveTask) and keeps the
body and message attributes untouched.
"""

import argparse
import json
import os
import time
from typing import Any

import boto3

from common.events import PoisonMessage, parse_message
from common.resources import load_resources


def _sqs() -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )


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


def redrive(sqs: Any, queue: str, limit: int) -> int:
    dlq_url, target_url = _url(sqs, dlq_of(queue)), _url(sqs, queue)
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
    for name in ("show", "redrive"):
        cmd = sub.add_parser(name)
        cmd.add_argument("queue", help="the source queue, e.g. order-service-queue")
        cmd.add_argument("--max", type=int, default=10 if name == "show" else 100)
    args = parser.parse_args()
    sqs = _sqs()
    if args.command == "list":
        for row in list_dlqs(sqs):
            print(f"{row['dlq']:40} visible={row['visible']:<5} in_flight={row['in_flight']}")
    elif args.command == "show":
        print(json.dumps(show(sqs, args.queue, args.max), indent=2))
    else:
        started = time.monotonic()
        moved = redrive(sqs, args.queue, args.max)
        print(
            f"redrove {moved} message(s) from {dlq_of(args.queue)} to {args.queue} "
            f"in {time.monotonic() - started:.1f}s"
        )


if __name__ == "__main__":
    main()
