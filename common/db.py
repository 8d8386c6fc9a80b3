"""Async SQLAlchemy engine/session helpers and the Alembic runner shared by Postgres services."""

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool


def make_engine(url: str, pool_size: int = 20, **options: Any) -> AsyncEngine:
    # No pool_pre_ping: with asyncpg it costs three round trips (BEGIN, a ping, ROLLBACK) on
    # every checkout (docs/performance.md). `_refuse_closed_connection` does the same job for
    # free: a connection whose server went away (a crash, a restart, pg_terminate_backend) is
    # known closed to asyncpg as soon as the socket is, and is replaced before any statement.
    # One that breaks mid-request fails that request with a 503 (common/errors.py; SQLAlchemy
    # then drops every older pooled connection), and the client or SQS retries.
    # No overflow: an overflow connection is closed as soon as it is returned, so a load
    # above the pool's size opened and closed a Postgres connection (a backend process, auth,
    # asyncpg's type introspection) per request. Up to `pool_size` connections are opened as
    # needed and kept; beyond that, callers wait for one (the same cap as 10 + 10 overflow).
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_recycle=30 * 60, **options
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool checkout hook: DisconnectionError makes the pool reconnect and check out again."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("pooled connection closed by the server")


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, for single-statement reads: without the BEGIN and ROLLBACK that
    SQLAlchemy puts around every connection's work, a read is one round trip, not three."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any exception."""
    async with factory() as session, session.begin():
        yield session


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def alembic_config(migrations_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(migrations_dir: Path, url: str) -> None:
    """Run a service's migrations (a deploy step, never at app start-up).

    A fresh RDS instance holds only its initial database, so the service's own database is
    created first when it does not exist yet.
    """
    run_blocking(ensure_database(url))
    command.upgrade(alembic_config(migrations_dir, url), "head")


async def ensure_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(
        target.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not exists:
                quoted = target.database.replace('"', '""') if target.database else ""
                await conn.execute(text(f'CREATE DATABASE "{quoted}"'))
    finally:
        await admin.dispose()


def run_blocking(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion from sync code, even when called inside an event loop
    (tests, the local launcher): then it runs on a private loop in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()
