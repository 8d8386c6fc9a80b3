"""Which exceptions mean "the database is away" (a crash, a restart, a failover, a full pool).

They are not the request's fault and go away by themselves: the API answers 503 with
Retry-After (common/errors.py), a consumer leaves the message for a later attempt. Anything
else from the database (a constraint, a bad statement) is a bug and stays a 500.
"""

from collections.abc import Iterator

import asyncpg
from sqlalchemy import exc as sa_exc

RETRY_AFTER_SECONDS = 2  # a restart or a failover takes seconds; the pool reconnects itself

_ASYNCPG_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: connection failure, does not exist, ...
    asyncpg.CannotConnectNowError,  # 57P03: starting up or replaying its WAL after a crash
    asyncpg.AdminShutdownError,  # 57P01: pg_ctl stop, pg_terminate_backend, a failover
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.InvalidPasswordError,  # 28P01: credentials rotated; common/db_credentials refreshes
)
# Raised by the connect call itself, unwrapped: refused, reset, timed out.
_SOCKET_UNAVAILABLE: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)

# The classes a web app routes through `database_unavailable` (one handler each).
DATABASE_ERROR_TYPES: tuple[type[Exception], ...] = (
    sa_exc.SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    ConnectionError,
    TimeoutError,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what SQLAlchemy wrapped (`.orig`) and what caused it, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]


def database_unavailable(error: BaseException) -> bool:
    for current in _chain(error):
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True  # SQLAlchemy saw a disconnect and dropped the pool's old connections
        if isinstance(current, sa_exc.TimeoutError | sa_exc.DisconnectionError):
            return True  # no pooled connection within pool_timeout; or none could be made
        if isinstance(current, _ASYNCPG_UNAVAILABLE + _SOCKET_UNAVAILABLE):
            return True
        if isinstance(current, asyncpg.InterfaceError) and "connection is closed" in str(current):
            return True
    return False
