"""While Postgres is away the API answers 503 + Retry-After, and recovers by itself after.

A Postgres of its own (the session's serves every other test): it is crashed with
`pg_ctl stop -m immediate`, its backends killed with `pg_terminate_backend`, and restarted,
under one app and one engine that are never rebuilt.
"""

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from common.db import make_engine, ping
from common.db_errors import database_unavailable
from common.web import create_service_app
from infra.local.postgres import LocalPostgres
from infra.local.processes import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[LocalPostgres]:
    base = Path(tempfile.mkdtemp(prefix="fastfood-pg-outage-"))
    base.chmod(0o755)
    server = LocalPostgres(base / "data", free_port())
    server.start()
    yield server
    server.stop()


def probe_app(engine: AsyncEngine) -> FastAPI:
    router = APIRouter()

    @router.get("/rows")
    async def rows(request: Request) -> dict[str, int]:
        async with request.app.state.engine.connect() as conn:
            return {"one": int(await conn.scalar(text("SELECT 1")))}

    async def database(app: FastAPI) -> None:
        await ping(app.state.engine)

    app = create_service_app(
        name="probe", prefix="/probe", routers=[router], ready_checks=[database]
    )
    app.state.engine = engine
    return app


@pytest.fixture
async def api(own_postgres: LocalPostgres) -> AsyncIterator[httpx.AsyncClient]:
    engine = make_engine(own_postgres.url("postgres"), pool_size=4)
    transport = httpx.ASGITransport(app=probe_app(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        yield client
    await engine.dispose()


def assert_unavailable(response: httpx.Response, error: str = "service_unavailable") -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["error"] == error
    assert set(body) == {"error", "detail", "correlation_id"}


async def test_a_crashed_database_answers_503_then_recovers_without_a_restart(
    api: httpx.AsyncClient, own_postgres: LocalPostgres
) -> None:
    for _ in range(4):  # fill the pool with connections the crash will kill
        assert (await api.get("/probe/rows")).status_code == 200
    own_postgres.crash()
    try:
        for _ in range(3):
            assert_unavailable(await api.get("/probe/rows"))
        assert_unavailable(await api.get("/probe/ready"), "not_ready")
    finally:
        own_postgres.start()
    answers = [(await api.get("/probe/rows")).status_code for _ in range(8)]
    assert answers == [200] * 8
    assert (await api.get("/probe/ready")).status_code == 200


async def test_killed_backends_are_replaced_before_any_statement(
    api: httpx.AsyncClient, own_postgres: LocalPostgres
) -> None:
    for _ in range(4):
        assert (await api.get("/probe/rows")).status_code == 200
    assert await own_postgres.terminate_backends() >= 1
    # A request racing the kill fails with a 503 (AdminShutdown); one a moment later finds
    # the socket closed at checkout and never sees the dead connection.
    await asyncio.sleep(0.5)
    answers = [(await api.get("/probe/rows")).status_code for _ in range(8)]
    assert answers == [200] * 8  # the pool's checkout hook reconnected; no client saw it


def test_outage_errors_are_told_apart_from_bugs() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed")
    assert database_unavailable(refused)
    assert database_unavailable(asyncpg.CannotConnectNowError("the database system is starting"))
    assert database_unavailable(asyncpg.AdminShutdownError("terminating connection"))
    assert database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    wrapped = sa_exc.DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True)
    assert database_unavailable(wrapped)
    try:
        raise RuntimeError("while handling") from refused
    except RuntimeError as caused:
        assert database_unavailable(caused)
    assert not database_unavailable(asyncpg.UniqueViolationError("duplicate key"))
    assert not database_unavailable(sa_exc.IntegrityError("INSERT", {}, Exception("dup")))
    assert not database_unavailable(ValueError("bad input"))
