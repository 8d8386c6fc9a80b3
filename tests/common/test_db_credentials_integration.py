"""A service's own database user, read from Secrets Manager (moto) at connect time, against the
real Postgres: migrate creates the role, the role reaches only its database, and a rotated
password is picked up by the next connection without restarting anything."""

import asyncio
import json
import uuid
from pathlib import Path

import asyncpg
import boto3
import pytest
from sqlalchemy import text

from common.db_credentials import database_engine
from common.db_roles import migrate_database
from infra.local.moto import MotoServer
from infra.local.postgres import LocalPostgres
from order.settings import Settings as OrderSettings

pytestmark = pytest.mark.integration
ORDER_MIGRATIONS = Path(__file__).resolve().parents[2] / "order" / "migrations"


def put_secret(secrets: object, name: str, value: dict[str, object]) -> None:
    try:
        secrets.create_secret(Name=name, SecretString=json.dumps(value))  # type: ignore[attr-defined]
    except secrets.exceptions.ResourceExistsException:  # type: ignore[attr-defined]
        secrets.put_secret_value(SecretId=name, SecretString=json.dumps(value))  # type: ignore[attr-defined]


async def superuser(postgres: LocalPostgres, database: str = "postgres") -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1", port=postgres.port, user=postgres.user, database=database
    )


async def test_a_rotated_password_is_read_again_by_the_next_connection(
    postgres: LocalPostgres, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex[:8]
    role, database, secret_name = f"order_{suffix}", f"order_{suffix}", f"test/db/{suffix}"
    secrets = boto3.client("secretsmanager", endpoint_url=moto_server.url, region_name="us-east-1")
    credentials = {"username": role, "password": "first-Pa55", "host": "127.0.0.1"}
    credentials |= {"port": postgres.port, "dbname": database}
    put_secret(secrets, secret_name, credentials)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    settings = OrderSettings(
        DB_HOST="127.0.0.1",
        DB_PORT=postgres.port,
        DB_USER=postgres.user,
        db_secret_name=secret_name,
        DB_POOL_SIZE=2,
    )

    migrate_database(ORDER_MIGRATIONS, settings, "order")
    migrate_database(ORDER_MIGRATIONS, settings, "order")  # idempotent: a second deploy

    fetched: list[str] = []
    real_fetch = lambda name: secrets.get_secret_value(SecretId=name)["SecretString"]  # noqa: E731
    engine = database_engine(settings, "order", fetch=lambda n: fetched.append(n) or real_fetch(n))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT current_user")) == role
            assert await conn.scalar(text("SELECT count(*) FROM orders")) == 0  # its tables
        admin = await superuser(postgres)
        try:  # rotate, as the RDS rotation does: the role, then the secret
            await admin.execute(f"ALTER ROLE {role} PASSWORD 'second-Pa55'")
            put_secret(secrets, secret_name, credentials | {"password": "second-Pa55"})
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role
            )
        finally:
            await admin.close()
        await asyncio.sleep(0.5)  # the pool sees the killed connection closed at checkout
        for _ in range(3):  # the killed pooled connection is replaced with the new password
            async with engine.connect() as conn:
                assert await conn.scalar(text("SELECT current_user")) == role
        assert len(fetched) == 2, "read once at start, once after the login was refused"
    finally:
        await engine.dispose()


async def test_a_service_role_reaches_only_its_own_database(
    postgres: LocalPostgres, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex[:8]
    secrets = boto3.client("secretsmanager", endpoint_url=moto_server.url, region_name="us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    for service in ("mine", "other"):
        name = f"{service}_{suffix}"
        put_secret(
            secrets,
            f"test/db/{name}",
            {"username": name, "password": f"{service}-Pa55", "dbname": name},
        )
        settings = OrderSettings(
            DB_HOST="127.0.0.1",
            DB_PORT=postgres.port,
            DB_USER=postgres.user,
            db_secret_name=f"test/db/{name}",
        )
        migrate_database(ORDER_MIGRATIONS, settings, "order")
    mine = {"host": "127.0.0.1", "port": postgres.port, "user": f"mine_{suffix}"}
    conn = await asyncpg.connect(**mine, password="mine-Pa55", database=f"mine_{suffix}")
    await conn.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # no CONNECT on another's database
        await asyncpg.connect(**mine, password="mine-Pa55", database=f"other_{suffix}")
    with pytest.raises(asyncpg.InvalidPasswordError):  # and a password is really checked
        await asyncpg.connect(**mine, password="wrong", database=f"mine_{suffix}")
    admin = await superuser(postgres)
    try:
        owners = await admin.fetchval(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = $1",
            f"mine_{suffix}",
        )
    finally:
        await admin.close()
    assert owners is False, "a service role is a plain login, not an admin"
