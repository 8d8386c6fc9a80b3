"""Migrations create the service's database when a fresh RDS instance does not have it."""

import uuid
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from common.db import alembic_config, upgrade_to_head
from infra.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration
ORDER_MIGRATIONS = Path(__file__).resolve().parents[2] / "order" / "migrations"


async def test_migrate_creates_a_missing_database_then_is_idempotent(
    postgres: LocalPostgres,
) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    url = postgres.url(name)
    upgrade_to_head(ORDER_MIGRATIONS, url)
    upgrade_to_head(ORDER_MIGRATIONS, url)  # a second deploy changes nothing
    conn = await asyncpg.connect(host="127.0.0.1", port=postgres.port, user="app", database=name)
    try:
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables")}
        version = await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()
    assert {"orders", "order_items", "outbox", "inbox"} <= tables
    head = ScriptDirectory.from_config(alembic_config(ORDER_MIGRATIONS, url)).get_current_head()
    assert version == head
