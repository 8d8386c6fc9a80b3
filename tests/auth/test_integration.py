"""The auth app against a real Postgres and the moto server (secret- and KMS-backed signers)."""

import asyncio
import json
import os
import random
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from auth.main import MIGRATIONS, create_app, create_staff
from auth.settings import Settings
from auth.signing import jwk_thumbprint
from common.db import upgrade_to_head
from common.security import JwtVerifier, jwks_from_url
from infra.local.bootstrap import local_signing_key_pem
from infra.local.moto import MotoServer
from infra.local.postgres import LocalPostgres
from infra.local.processes import REPO_ROOT
from tests.conftest import fresh_database
from tests.tokens import AUDIENCE, ISSUER, TOKENS

pytestmark = pytest.mark.integration
STAFF_PASSWORD = "it-staff-password"
ADMIN_PASSWORD = "it-admin-password"


def random_cpf() -> str:
    """A valid CPF no other test uses (the database is shared within this module)."""
    digits = [random.randint(0, 9) for _ in range(9)]
    for _ in range(2):
        total = sum(d * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


async def migrated_database(postgres: LocalPostgres) -> str:
    url = await fresh_database(postgres, "auth")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    return url


@pytest.fixture(scope="module")
async def database_url(postgres: LocalPostgres) -> str:
    return await migrated_database(postgres)


@pytest.fixture(scope="module")
def signing_secret(moto_server: MotoServer) -> dict[str, str]:
    """A signing-key secret shaped like the one infra/local/bootstrap.py creates."""
    value = {"kid": f"it-{uuid.uuid4().hex[:8]}", "private_key_pem": local_signing_key_pem()}
    name = f"auth-signing-key-{uuid.uuid4().hex[:8]}"
    secrets = MotoServerClient(moto_server).client("secretsmanager")
    secrets.create_secret(Name=name, SecretString=json.dumps(value))
    return {"name": name, "kid": value["kid"]}


class MotoServerClient:
    def __init__(self, moto: MotoServer) -> None:
        self.url = moto.url

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1")


def settings_for(database_url: str, moto: MotoServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "aws_endpoint_url": moto.url,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "staff_password": STAFF_PASSWORD,
        "admin_password": ADMIN_PASSWORD,
        **overrides,
    }
    return Settings(**values)


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c,
    ):
        yield c


@pytest.fixture(scope="module")
async def client(
    database_url: str, moto_server: MotoServer, signing_secret: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """One app for the module (start-up opens AWS clients); tests use their own CPFs."""
    settings = settings_for(
        database_url, moto_server, signing_key_secret_name=signing_secret["name"]
    )
    async for c in serve(create_app(settings)):
        yield c


async def verify_through_jwks(client: httpx.AsyncClient, token: str) -> Any:
    """Verify as another service would: fetch the published JWKS over HTTP."""
    source = jwks_from_url("http://test/auth/.well-known/jwks.json", client)
    return await JwtVerifier(source, issuer=ISSUER, audience=AUDIENCE).verify(token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_registered_customer_identifies_by_cpf_and_tokens_verify(
    client: httpx.AsyncClient,
) -> None:
    cpf = random_cpf()
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    body = {"name": "Maria Silva", "email": "maria@example.com", "cpf": formatted}
    registered = await client.post("/auth/customers", json=body)
    assert registered.status_code == 201, registered.text
    data = registered.json()
    assert data["token_type"] == "bearer" and data["expires_in"] == 900
    assert data["customer"]["name"] == "Maria Silva"
    assert set(data["customer"]) == {"id", "name", "email"}

    identified = await client.post("/auth/customers/identify", json={"cpf": cpf})
    assert identified.status_code == 200
    assert identified.json()["customer"] == data["customer"]
    principal = await verify_through_jwks(client, identified.json()["access_token"])
    assert (principal.subject, principal.role, principal.name, principal.email) == (
        data["customer"]["id"],
        "customer",
        "Maria Silva",
        "maria@example.com",
    )
    claims = jwt.decode(identified.json()["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900 and claims["anonymous"] is False
    assert cpf not in json.dumps(claims)


async def test_registering_a_taken_cpf_answers_409(client: httpx.AsyncClient) -> None:
    cpf = random_cpf()
    first = await client.post(
        "/auth/customers", json={"name": "A", "email": "a@example.com", "cpf": cpf}
    )
    assert first.status_code == 201
    again = await client.post(
        "/auth/customers",
        json={
            "name": "B",
            "email": "b@example.com",
            "cpf": f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}",
        },
    )
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "email": "a@example.com", "cpf": "12345678900"},
        {"name": "A", "email": "a@example.com", "cpf": "11111111111"},
        {"name": "A", "email": "not-an-email", "cpf": "52998224725"},
        {"name": "", "email": "a@example.com", "cpf": "52998224725"},
        {"name": "x" * 121, "email": "a@example.com", "cpf": "52998224725"},
        {"name": "A", "email": "a@example.com", "cpf": "52998224725", "role": "admin"},
        {"name": "A", "email": "a@example.com"},
    ],
)
async def test_invalid_registration_answers_422(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await client.post("/auth/customers", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_identify_answers_404_for_unknown_and_422_for_invalid_cpf(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.post("/auth/customers/identify", json={"cpf": random_cpf()})
    assert unknown.status_code == 404
    invalid = await client.post("/auth/customers/identify", json={"cpf": "123.456.789-00"})
    assert invalid.status_code == 422


async def test_anonymous_token_is_a_customer_token_without_identity(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/auth/token/anonymous")
    assert response.status_code == 201
    me = await client.get("/auth/me", headers=bearer(response.json()["access_token"]))
    assert me.status_code == 200
    assert me.json() | {"subject": None} == {
        "subject": None,
        "role": "customer",
        "name": None,
        "email": None,
        "anonymous": True,
    }


@pytest.mark.parametrize(
    ("username", "password", "role"),
    [("staff", STAFF_PASSWORD, "staff"), ("admin", ADMIN_PASSWORD, "admin")],
)
async def test_seeded_staff_log_in_with_their_role(
    client: httpx.AsyncClient, username: str, password: str, role: str
) -> None:
    response = await client.post(
        "/auth/staff/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    me = await client.get("/auth/me", headers=bearer(response.json()["access_token"]))
    assert (me.json()["role"], me.json()["name"]) == (role, username)


async def test_wrong_password_and_unknown_user_answer_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    wrong = await client.post(
        "/auth/staff/login", json={"username": "staff", "password": "not-the-password"}
    )
    unknown = await client.post(
        "/auth/staff/login", json={"username": "ghost", "password": STAFF_PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_jwks_and_discovery_describe_the_signing_key(
    client: httpx.AsyncClient, signing_secret: dict[str, str]
) -> None:
    jwks = (await client.get("/auth/.well-known/jwks.json")).json()
    [key] = jwks["keys"]
    assert key["kid"] == signing_secret["kid"]
    assert set(key) == {"kty", "n", "e", "kid", "use", "alg"}
    discovery = (await client.get("/auth/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == ISSUER
    assert discovery["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert discovery["response_types_supported"] and discovery["subject_types_supported"]
    token = (await client.post("/auth/token/anonymous")).json()["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]


async def test_me_refuses_missing_and_foreign_tokens(client: httpx.AsyncClient) -> None:
    assert (await client.get("/auth/me")).status_code == 401
    # Signed by another key (the test issuer): unknown kid.
    assert (await client.get("/auth/me", headers=TOKENS.headers("admin"))).status_code == 401
    assert (await client.get("/auth/me", headers=bearer("not.a.jwt"))).status_code == 401


async def test_ready_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/ready")
    assert response.status_code == 200 and response.json()["status"] == "ready"


async def test_two_instances_starting_together_seed_each_account_once(
    postgres: LocalPostgres, moto_server: MotoServer, tmp_path: Path
) -> None:
    url = await migrated_database(postgres)
    key_file = tmp_path / "signing.pem"
    key_file.write_text(local_signing_key_pem())
    apps = [create_app(settings_for(url, moto_server, signing_key_file=key_file)) for _ in range(2)]
    async with AsyncExitStack() as stack:
        await asyncio.gather(
            *(stack.enter_async_context(app.router.lifespan_context(app)) for app in apps)
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apps[0]), base_url="http://test"
        ) as c:
            login = await c.post(
                "/auth/staff/login", json={"username": "staff", "password": STAFF_PASSWORD}
            )
            assert login.status_code == 200
            jwks = (await c.get("/auth/.well-known/jwks.json")).json()
    [key] = jwks["keys"]
    assert key["kid"] == jwk_thumbprint(key)  # file signer: kid = RFC 7638 thumbprint
    assert key["kid"] == jwt.get_unverified_header(login.json()["access_token"])["kid"]
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch("SELECT username, role FROM staff_users ORDER BY username")
    finally:
        await conn.close()
    assert [(r["username"], r["role"]) for r in rows] == [("admin", "admin"), ("staff", "staff")]


async def test_kms_signer_issues_tokens_that_verify_through_the_jwks(
    database_url: str, moto_server: MotoServer
) -> None:
    kms = MotoServerClient(moto_server).client("kms")
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    key_id = key["KeyId"]
    # Configured by ARN, as infra/terraform does (AUTH_KMS_KEY_ID = the key ARN).
    settings = settings_for(database_url, moto_server, signer="kms", kms_key_id=key["Arn"])
    async for c in serve(create_app(settings)):
        token = (await c.post("/auth/token/anonymous")).json()["access_token"]
        principal = await verify_through_jwks(c, token)
        assert principal.anonymous and principal.role == "customer"
        assert jwt.get_unverified_header(token)["kid"] == key_id  # as infra's jwt_key documents


async def test_create_staff_cli_reads_the_password_from_stdin(
    database_url: str, client: httpx.AsyncClient
) -> None:
    env = {**os.environ, "AUTH_DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("AUTH_NEW_PASSWORD", None)
    username = f"cook{uuid.uuid4().hex[:6]}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "auth.main",
        "create-staff",
        "--username",
        username,
        "--role",
        "admin",
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate(b"a-long-cli-password\n")
    assert process.returncode == 0, output.decode()
    settings = Settings(database_url=database_url)
    assert not await create_staff(settings, username, "staff", "another-long-password")
    login = await client.post(
        "/auth/staff/login", json={"username": username, "password": "a-long-cli-password"}
    )
    assert login.status_code == 200
    me = await client.get("/auth/me", headers=bearer(login.json()["access_token"]))
    assert me.json()["role"] == "admin"  # the second call changed nothing
