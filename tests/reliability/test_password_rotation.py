"""Database passwords rotated while orders flow (issue 14): nothing fails after the rotation.

Each Postgres-backed service logs in as its own role, read from its Secrets Manager secret at
connect time. Halfway through the load every role's password is changed in Postgres and in
the secret (what RDS's rotation does), and every backend of those roles is killed, so each
service must open new connections with a password it never read at start-up.
"""

import asyncio
import json
import secrets
import time

import asyncpg
import boto3
import httpx
import pytest

from infra.local.bootstrap import database_role, database_secret_name
from infra.local.demo import LOCAL_STAFF
from infra.local.stack import DATABASES, Stack
from tests.conftest import record_figure
from tests.reliability.harness import kitchen_bot, open_shop, running, wait_until_final
from tests.reliability.test_database_crash import PACE_SECONDS, Clients, place_retrying
from tests.reliability.test_delivery_guarantees import start_stack

pytestmark = pytest.mark.reliability
ORDERS = 100
SETTLE_SECONDS = 1.0  # a request racing the kill itself may see a 503; none after this


async def rotate_passwords(stack: Stack) -> int:
    """New password per role (ALTER ROLE, then the secret), then kill their connections."""
    sm = boto3.client("secretsmanager", endpoint_url=stack.aws_url, region_name="us-east-1")
    admin = await asyncpg.connect(
        host="127.0.0.1", port=stack.ports.postgres, user=stack.postgres.user, database="postgres"
    )
    try:
        for service in DATABASES:
            name = database_secret_name(service)
            value = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
            value["password"] = secrets.token_urlsafe(24)
            literal = await admin.fetchval("SELECT quote_literal($1)", value["password"])
            await admin.execute(f"ALTER ROLE {database_role(service)} PASSWORD {literal}")
            sm.put_secret_value(SecretId=name, SecretString=json.dumps(value))
        killed = await admin.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = ANY($1::text[])",
            [database_role(s) for s in DATABASES],
        )
        return int(killed)
    finally:
        await admin.close()


async def logins_by_database(stack: Stack) -> dict[str, set[str]]:
    admin = await asyncpg.connect(
        host="127.0.0.1", port=stack.ports.postgres, user=stack.postgres.user, database="postgres"
    )
    try:
        rows = await admin.fetch(
            "SELECT datname, usename FROM pg_stat_activity WHERE datname = ANY($1::text[]) "
            "AND pid <> pg_backend_pid()",
            list(DATABASES),
        )
    finally:
        await admin.close()
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["datname"], set()).add(row["usename"])
    return found


def test_rotated_database_passwords_break_no_request_after_the_rotation() -> None:
    stack = start_stack("db-rotation", simulator_args=("--auto-approve-after", "0"))
    clients = Clients()

    async def scenario() -> tuple[int, float, dict[str, str], int]:
        bot_stop = asyncio.Event()
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as api:
            shop = await open_shop(api)
            async with running(kitchen_bot(api, shop, bot_stop)):
                semaphore = asyncio.Semaphore(8)

                async def one(i: int) -> None:
                    await asyncio.sleep(i * PACE_SECONDS)
                    async with semaphore:
                        await place_retrying(api, shop, clients, i)

                load = asyncio.gather(*(one(i) for i in range(ORDERS)))
                await asyncio.sleep(ORDERS * PACE_SECONDS / 2)
                killed = await rotate_passwords(stack)
                rotated_at = time.monotonic()
                await load
                # auth and catalog open new connections with the new password too
                fresh = [
                    (await api.post("/auth/token/anonymous")).status_code,
                    (await api.get("/catalog/products")).status_code,
                    (await api.post("/auth/staff/login", json=staff_login())).status_code,
                ]
                ids = list(clients.accepted.values())
                statuses = await wait_until_final(stack, ids, "DELIVERED", 120)
                bot_stop.set()
        assert fresh == [201, 200, 200], fresh
        return killed, rotated_at, statuses, len(ids)

    try:
        killed, rotated_at, statuses, accepted = asyncio.run(scenario())
        logins = asyncio.run(logins_by_database(stack))
        after = [t for t in clients.failures_at if t > rotated_at + SETTLE_SECONDS]
        completed = sum(1 for s in statuses.values() if s == "DELIVERED")
        record_figure(
            f"[reliability] DB password rotation: submitted={ORDERS} accepted={accepted} "
            f"completed={completed} lost={accepted - completed} connections_killed={killed} "
            f"client_5xx={len(clients.failures_at)} client_5xx_after_rotation={len(after)} "
            f"logins={ {db: sorted(users) for db, users in sorted(logins.items())} }"
        )
        assert killed >= 3, "every service had connections that had to be replaced"
        assert accepted == ORDERS and completed == accepted
        assert after == [], "a request failed after the rotation"
        for service in DATABASES:  # each service is connected, and only as its own role
            assert logins.get(service) == {database_role(service)}, logins
    finally:
        stack.stop()


def staff_login() -> dict[str, str]:
    username, password = LOCAL_STAFF
    return {"username": username, "password": password}
