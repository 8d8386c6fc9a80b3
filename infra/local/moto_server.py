"""Start the moto server with DynamoDB's isolation restored: `python -m infra.local.moto_server`.

moto's TransactWriteItems snapshots every table it touches and, when a condition fails,
puts the snapshot back. The server handles requests on threads, so a transaction that
fails restores a copy taken *before* a concurrent write committed, and that write is lost
(seen here: two deliveries of one event, the loser's rollback erased the winner's payment).
Real DynamoDB isolates transactions, so the emulator must too: every DynamoDB operation
runs under one lock. SQS and the other services stay concurrent (long polls must not block).
"""

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

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


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    return locked


for _name in _SERIALIZED:
    setattr(DynamoDBBackend, _name, _serialized(getattr(DynamoDBBackend, _name)))


if __name__ == "__main__":
    main()
