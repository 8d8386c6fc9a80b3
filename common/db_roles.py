"""`migrate` for a service with its own database user (`<SVC>_DB_SECRET_NAME` set).

It logs in as the admin (DB_USER / DB_PASSWORD: the RDS master, locally the server's
superuser), makes the service's role match its secret (created, or its password set again:
re-running `migrate` after rotating the secret by hand re-syncs it), makes that role the owner
of the service's database and of everything in it, and closes the database to every other
role. Alembic then runs as the service's role, so its tables belong to it. The running
service never holds the admin password.
"""

from pathlib import Path

import asyncpg
from alembic import command
from sqlalchemy.engine import make_url

from common.db import alembic_config, run_blocking, upgrade_to_head
from common.db_credentials import DbCredentials, FetchSecret, secret_credentials
from common.logging import get_logger
from common.settings import PostgresSettings

log = get_logger(__name__)


def migrate_database(
    migrations_dir: Path,
    settings: PostgresSettings,
    default_db: str,
    fetch: FetchSecret | None = None,
) -> None:
    credentials = secret_credentials(settings, default_db, fetch)
    if credentials is None:  # one login for everything (DB_USER / DB_PASSWORD or a URL)
        upgrade_to_head(migrations_dir, settings.sqlalchemy_url(default_db))
        return
    service = credentials.read()
    admin = make_url(settings.sqlalchemy_url("postgres")).set(drivername="postgresql")
    run_blocking(provision_service_role(admin.render_as_string(hide_password=False), service))
    command.upgrade(alembic_config(migrations_dir, service.url()), "head")


async def provision_service_role(admin_dsn: str, service: DbCredentials) -> None:
    admin = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        role = await _ident(admin, service.username)
        database = await _ident(admin, service.database)
        password = await admin.fetchval("SELECT quote_literal($1)", service.password)
        if await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", service.username):
            await admin.execute(f"ALTER ROLE {role} WITH LOGIN PASSWORD {password}")
        else:
            await admin.execute(f"CREATE ROLE {role} WITH LOGIN PASSWORD {password}")
        # The RDS master is no superuser: it may hand objects to a role it is a member of.
        await admin.execute(f"GRANT {role} TO CURRENT_USER")
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", service.database):
            await admin.execute(f"ALTER DATABASE {database} OWNER TO {role}")
        else:
            await admin.execute(f"CREATE DATABASE {database} OWNER {role}")
        await admin.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
    finally:
        await admin.close()
    await _hand_over_objects(admin_dsn, service)
    log.info("database role provisioned", extra={"role": service.username})


async def _hand_over_objects(admin_dsn: str, service: DbCredentials) -> None:
    """Tables made before the service had its own role (by the admin) become the role's."""
    dsn = make_url(admin_dsn).set(database=service.database)
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=10)
    try:
        role = await _ident(conn, service.username)
        await conn.execute(f"GRANT ALL ON SCHEMA public TO {role}")
        rows = await conn.fetch(
            "SELECT c.relkind, format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
            "AND c.relkind IN ('r', 'v', 'm', 'p') AND pg_get_userbyid(c.relowner) <> $1",
            service.username,
        )
        for row in rows:  # a table's sequences and indexes follow it
            kind = "MATERIALIZED VIEW" if row["relkind"] == "m" else "TABLE"
            await conn.execute(f"ALTER {kind} {row['name']} OWNER TO {role}")
    finally:
        await conn.close()


async def _ident(conn: asyncpg.Connection, name: str) -> str:
    quoted: str = await conn.fetchval("SELECT quote_ident($1)", name)
    return quoted
