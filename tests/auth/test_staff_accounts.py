"""Admin-only staff management and login/look-up throttling, against a real Postgres."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from auth.main import create_app
from infra.local.bootstrap import local_signing_key_pem
from infra.local.moto import MotoServer
from infra.local.postgres import LocalPostgres
from tests.auth.test_integration import (
    ADMIN_PASSWORD,
    STAFF_PASSWORD,
    bearer,
    migrated_database,
    random_cpf,
    settings_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auth-keys") / "signing.pem"
    path.write_text(local_signing_key_pem())
    return path


async def started(stack: AsyncExitStack, app: FastAPI, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://test")
    )


@pytest.fixture(scope="module")
async def client(
    postgres: LocalPostgres, moto_server: MotoServer, key_file: Path
) -> AsyncIterator[httpx.AsyncClient]:
    url = await migrated_database(postgres)
    async with AsyncExitStack() as stack:
        yield await started(
            stack, create_app(settings_for(url, moto_server, signing_key_file=key_file))
        )


async def login(
    client: httpx.AsyncClient, username: str, password: str, **kw: Any
) -> httpx.Response:
    return await client.post(
        "/auth/staff/login", json={"username": username, "password": password}, **kw
    )


async def token_of(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await login(client, username, password)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def new_username() -> str:
    return f"cook.{uuid.uuid4().hex[:8]}"


async def test_admin_adds_a_cook_who_then_logs_in_with_the_staff_role(
    client: httpx.AsyncClient,
) -> None:
    admin = await token_of(client, "admin", ADMIN_PASSWORD)
    username = new_username()
    body = {"username": username, "password": "a-long-cook-password"}
    created = await client.post("/auth/staff", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() | {"id": None, "created_at": None} == {
        "id": None,
        "username": username,
        "role": "staff",
        "active": True,
        "created_at": None,
    }
    assert "password" not in created.text and "hash" not in created.text
    cook = await token_of(client, username, "a-long-cook-password")
    assert (await client.get("/auth/me", headers=cook)).json()["role"] == "staff"
    listed = (await client.get("/auth/staff", headers=admin)).json()
    assert {"admin", "staff", username} <= {a["username"] for a in listed}
    again = await client.post("/auth/staff", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["error"] == "conflict"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "a b", "password": "a-long-cook-password"},
        {"username": "ok.name", "password": "short"},
        {"username": "ok.name", "password": "a-long-cook-password", "role": "customer"},
        {"username": "ok.name", "password": "a-long-cook-password", "active": False},
        {"username": "ok.name\n", "password": "a-long-cook-password"},
    ],
)
async def test_invalid_staff_accounts_answer_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    admin = await token_of(client, "admin", ADMIN_PASSWORD)
    response = await client.post("/auth/staff", json=body, headers=admin)
    assert response.status_code == 422, response.text


async def test_only_admins_manage_staff(client: httpx.AsyncClient) -> None:
    staff = await token_of(client, "staff", STAFF_PASSWORD)
    customer = bearer((await client.post("/auth/token/anonymous")).json()["access_token"])
    body = {"username": new_username(), "password": "a-long-cook-password", "role": "admin"}
    for headers, expected in ((staff, 403), (customer, 403), ({}, 401)):
        calls = (
            client.post("/auth/staff", json=body, headers=headers),
            client.get("/auth/staff", headers=headers),
            client.delete("/auth/staff/staff", headers=headers),
        )
        for response in await asyncio.gather(*calls):
            assert response.status_code == expected, response.text
    assert (await login(client, body["username"], body["password"])).status_code == 401


async def test_a_deactivated_account_can_no_longer_log_in(client: httpx.AsyncClient) -> None:
    admin = await token_of(client, "admin", ADMIN_PASSWORD)
    username = new_username()
    await client.post(
        "/auth/staff",
        json={"username": username, "password": "a-long-cook-password"},
        headers=admin,
    )
    removed = await client.delete(f"/auth/staff/{username}", headers=admin)
    assert removed.status_code == 204 and removed.content == b""
    refused = await login(client, username, "a-long-cook-password")
    assert refused.status_code == 401 and refused.json()["detail"] == "invalid username or password"
    listed = (await client.get("/auth/staff", headers=admin)).json()
    assert [a["active"] for a in listed if a["username"] == username] == [False]
    assert (await client.delete("/auth/staff/nobody-here", headers=admin)).status_code == 404
    assert (await client.delete("/auth/staff/admin", headers=admin)).status_code == 409  # self


async def test_the_last_active_admin_stays(
    postgres: LocalPostgres, moto_server: MotoServer, key_file: Path
) -> None:
    url = await migrated_database(postgres)  # its own database: only the seeded admin
    async with AsyncExitStack() as stack:
        client = await started(
            stack, create_app(settings_for(url, moto_server, signing_key_file=key_file))
        )
        admin = await token_of(client, "admin", ADMIN_PASSWORD)
        body = {"username": "second", "password": "a-long-admin-password", "role": "admin"}
        assert (await client.post("/auth/staff", json=body, headers=admin)).status_code == 201
        second = await token_of(client, "second", "a-long-admin-password")
        # Each removes the other at once: one wins, the other finds itself the last admin.
        both = await asyncio.gather(
            client.delete("/auth/staff/second", headers=admin),
            client.delete("/auth/staff/admin", headers=second),
        )
        assert sorted(r.status_code for r in both) == [204, 409]
        listed = (await client.get("/auth/staff", headers=admin)).json()
        assert sum(a["active"] for a in listed if a["role"] == "admin") == 1


# ---------------------------------------------------------------------------- throttling


@pytest.fixture
async def strict_apps(
    postgres: LocalPostgres, moto_server: MotoServer, key_file: Path
) -> AsyncIterator[list[FastAPI]]:
    """Two instances on one database, with small limits: the counts are shared."""
    url = await migrated_database(postgres)
    limits = {
        "login_ip_limit": 5,
        "login_account_limit": 3,
        "lookup_ip_limit": 2,
        "signing_key_file": key_file,
    }
    yield [create_app(settings_for(url, moto_server, **limits)) for _ in range(2)]


async def test_repeated_failures_lock_an_account_across_addresses_and_instances(
    strict_apps: list[FastAPI],
) -> None:
    async with AsyncExitStack() as stack:
        one = await started(stack, strict_apps[0], "198.51.100.1")
        two = await started(stack, strict_apps[1], "198.51.100.2")
        for client in (one, two, one):
            assert (await login(client, "staff", "wrong-password")).status_code == 401
        locked = await login(two, "staff", STAFF_PASSWORD)
        assert locked.status_code == 429, locked.text
        assert set(locked.json()) == {"error", "detail", "correlation_id"}
        assert locked.json()["error"] == "too_many_requests"
        assert 890 <= int(locked.headers["retry-after"]) <= 900
        assert (await login(one, "admin", ADMIN_PASSWORD)).status_code == 200  # others unaffected


async def test_identify_is_throttled_per_client_address_as_the_proxy_saw_it(
    strict_apps: list[FastAPI],
) -> None:
    cpf = {"cpf": random_cpf()}
    async with AsyncExitStack() as stack:
        one = await started(stack, strict_apps[0])
        two = await started(stack, strict_apps[1])

        async def identify(client: httpx.AsyncClient, forwarded: str) -> int:
            headers = {"X-Forwarded-For": forwarded}
            response = await client.post("/auth/customers/identify", json=cpf, headers=headers)
            return response.status_code

        # The gateway appends the address it saw; what the client wrote before it is ignored.
        statuses = [
            await identify(c, f"10.0.0.{n}, 203.0.113.5") for n, c in enumerate([one, two, one])
        ]
        assert statuses == [404, 404, 429]
        assert await identify(two, "203.0.113.6") == 404  # another client
        register = await one.post(
            "/auth/customers",
            json={"name": "A", "email": "a@example.com", "cpf": random_cpf()},
            headers={"X-Forwarded-For": "203.0.113.5"},
        )
        assert register.status_code == 429  # registering answers "CPF taken": same budget


async def test_without_trusted_proxies_the_socket_peer_is_the_client(
    postgres: LocalPostgres, moto_server: MotoServer, key_file: Path
) -> None:
    url = await migrated_database(postgres)
    settings = settings_for(
        url, moto_server, lookup_ip_limit=1, trust_proxy_headers=False, signing_key_file=key_file
    )
    async with AsyncExitStack() as stack:
        client = await started(stack, create_app(settings), "198.51.100.9")
        statuses = [
            (
                await client.post(
                    "/auth/customers/identify",
                    json={"cpf": random_cpf()},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                )
            ).status_code
            for n in range(2)
        ]
    assert statuses == [404, 429]
