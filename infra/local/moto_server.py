"""The local moto server, minus defects real AWS does not have: `python -m infra.local.moto_server`.

Two defects of moto's TransactWriteItems are corrected here, both so that the emulator
behaves like DynamoDB rather than to make our code look faster:

- **Isolation.** moto snapshots every table a transaction touches and, when a condition
  fails, puts the snapshot back. The server handles requests on threads, so a transaction
  that fails restores a copy taken *before* a concurrent write committed, and that write is
  lost (seen here: two deliveries of one event, the loser's rollback erased the winner's
  payment). Every DynamoDB operation therefore runs under one lock. SQS and the other
  services stay concurrent (long polls must not block).
- **Cost.** The snapshot is a deep copy of each whole table, so every transaction costs in
  proportion to the tables it touches — inbox tables, which only grow, above all (28 % of
  the emulator's CPU in a 300-order run, docs/performance.md). Real DynamoDB's cost does
  not grow with the table. Here the transaction keeps an undo log of just the items it
  names and restores those on rollback; under the lock nothing else can have changed them.

And two costs of moto's SQS that grow with the queue or the request rate, which real SQS
does not have:

- **Retention check.** For every message it returns, ReceiveMessage computes *all* of the
  queue's attributes (approximate counts included, each a pass over every message in the
  queue) only to read `MessageRetentionPeriod`: a receive cost proportional to the queue's
  depth, 25 % of the emulator's CPU in a 300-order bench. It reads the one attribute now.
- **Access log.** werkzeug's request line goes through `logging` (a handler lock that the
  server's threads contend for, colour codes): 15 % of the emulator's CPU. It is written
  straight to stderr now, one line per request as before (`make bench` counts them).
"""

import copy
import functools
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.core.utils import unix_time
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.server import main
from moto.sqs.models import Message, SQSBackend
from werkzeug.serving import WSGIRequestHandler

_LOCK = threading.RLock()
_SERIALIZED = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)

ItemKey = tuple[Table, DynamoType, DynamoType | None]


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    return locked


class _TablesAreNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB backend: whole-table snapshots
    become no-ops (their rollback then reassigns the live table to itself); the undo log in
    `_transact_write_items` restores the touched items instead. Anything else is copied."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value)


def _item_key(backend: DynamoDBBackend, operation: dict[str, Any]) -> ItemKey | None:
    if not isinstance(operation, dict) or operation.get("TableName") not in backend.tables:
        return None  # moto itself reports the missing table
    table = backend.tables[operation["TableName"]]
    attributes = operation.get("Item") or operation.get("Key") or {}
    if table.hash_key_attr not in attributes:
        return None
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attributes:
            return None
        range_value = DynamoType(attributes[table.range_key_attr])
    return table, DynamoType(attributes[table.hash_key_attr]), range_value


def _restore(key: ItemKey, before: Item | None) -> None:
    table, hash_value, range_value = key
    table.delete_item(hash_value, range_value)
    if before is None:
        return
    if range_value is not None:
        table.items[hash_value][range_value] = before  # type: ignore[index]
    else:
        table.items[hash_value] = before  # type: ignore[assignment]  # as moto's put_item


def _with_undo_log(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        undo: list[tuple[ItemKey, Item | None]] = []
        for entry in transact_items:
            operation = next(iter(entry.values()), None) if isinstance(entry, dict) else None
            key = _item_key(self, operation) if operation is not None else None
            if key is not None:
                table, hash_value, range_value = key
                undo.append((key, copy.deepcopy(table.get_item(hash_value, range_value))))
        try:
            original(self, transact_items)
        except Exception:
            for key, before in reversed(undo):
                _restore(key, before)
            raise

    return transact_write_items


def _within_retention(self: SQSBackend, queue_name: str, message: Message) -> bool:
    queue = self.get_queue(queue_name)
    retention_seconds = int(queue.message_retention_period)  # type: ignore[attr-defined]
    return retention_seconds + message.sent_timestamp / 1000 > unix_time()  # type: ignore[operator]


def _log_request(self: WSGIRequestHandler, code: int | str = "-", size: int | str = "-") -> None:
    sys.stderr.write(f'[{time.strftime("%H:%M:%S")}] "{self.requestline}" {code}\n')


def install() -> None:
    SQSBackend.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign]
    WSGIRequestHandler.log_request = _log_request  # type: ignore[method-assign]
    dynamodb_models.copy = _TablesAreNotCopied  # type: ignore[attr-defined,assignment]
    DynamoDBBackend.transact_write_items = _with_undo_log(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign]
    for name in _SERIALIZED:
        setattr(DynamoDBBackend, name, _serialized(getattr(DynamoDBBackend, name)))


if __name__ == "__main__":
    install()
    main()
