"""The local AWS emulator's DynamoDB transactions behave like DynamoDB's.

`infra.local.moto_server` runs every DynamoDB operation under one lock and replaces moto's
whole-table snapshots with an undo log of the items a transaction names. These tests pin
what that must keep: a cancelled transaction leaves no trace, on hash-only and on
hash-and-range tables, and never undoes a write that committed concurrently.
"""

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sqs.models import Message, SQSBackend

from infra.local.moto import MotoServer
from infra.local.moto_server import _within_retention
from tests.conftest import unique

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb(moto_server: MotoServer) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _table(dynamodb: Any, *, with_range: bool = False) -> str:
    name = unique("tx-")
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if with_range:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "S"})
    dynamodb.create_table(
        TableName=name,
        KeySchema=keys,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture
def tables(dynamodb: Any) -> Iterator[tuple[str, str]]:
    names = (_table(dynamodb), _table(dynamodb, with_range=True))
    yield names
    for name in names:
        dynamodb.delete_table(TableName=name)


def _scan(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item.get("sk", {}).get("S", "")))


def test_a_cancelled_transaction_leaves_no_trace(dynamodb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    dynamodb.put_item(TableName=plain, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    dynamodb.put_item(TableName=ranged, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}})
    before = (_scan(dynamodb, plain), _scan(dynamodb, ranged))

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": plain, "Item": {"pk": {"S": "b"}}}},
                {
                    "Update": {
                        "TableName": plain,
                        "Key": {"pk": {"S": "a"}},
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": ranged, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
                {"Put": {"TableName": ranged, "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
                {
                    "ConditionCheck": {
                        "TableName": plain,
                        "Key": {"pk": {"S": "missing"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert (_scan(dynamodb, plain), _scan(dynamodb, ranged)) == before


def test_a_transaction_that_passes_applies_every_item(
    dynamodb: Any, tables: tuple[str, str]
) -> None:
    plain, ranged = tables
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": plain,
                    "Item": {"pk": {"S": "event-1"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": ranged, "Item": {"pk": {"S": "t"}, "sk": {"S": "1"}}}},
        ]
    )
    assert [i["pk"]["S"] for i in _scan(dynamodb, plain)] == ["event-1"]
    assert [i["sk"]["S"] for i in _scan(dynamodb, ranged)] == ["1"]


def test_cancelled_transactions_never_undo_concurrent_writes(
    dynamodb: Any, tables: tuple[str, str]
) -> None:
    """The moto defect this launcher fixes: a rollback restored a stale copy of the table."""
    plain, _ = tables
    dynamodb.put_item(TableName=plain, Item={"pk": {"S": "taken"}})
    writes = 150
    errors: list[BaseException] = []

    def writer() -> None:
        for i in range(writes):
            dynamodb.put_item(TableName=plain, Item={"pk": {"S": f"w{i:03d}"}})

    def canceller() -> None:
        for _ in range(writes):
            try:
                dynamodb.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": plain, "Item": {"pk": {"S": "loser"}}}},
                        {
                            "Put": {
                                "TableName": plain,
                                "Item": {"pk": {"S": "taken"}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    errors.append(exc)
            else:
                errors.append(AssertionError("the duplicate put was accepted"))

    threads = [threading.Thread(target=writer), threading.Thread(target=canceller)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    keys = [item["pk"]["S"] for item in _scan(dynamodb, plain)]
    assert keys == sorted([f"w{i:03d}" for i in range(writes)] + ["taken"])


@pytest.mark.parametrize("age_seconds", [1, 59, 61, 3600])
def test_the_retention_check_answers_as_moto_did(age_seconds: int) -> None:
    """The O(1) check that replaces moto's (which computed every queue attribute, counting
    every message, for each message received) keeps its answers."""
    backend = SQSBackend("us-east-1", "123456789012")
    backend.create_queue("retention-60", MessageRetentionPeriod="60")
    message = Message("m1", "body")
    message.sent_timestamp = int((time.time() - age_seconds) * 1000)  # type: ignore[assignment]

    moto_answer = SQSBackend.is_message_valid_based_on_retention_period(
        backend, "retention-60", message
    )

    assert _within_retention(backend, "retention-60", message) is moto_answer
    assert moto_answer is (age_seconds < 60)
