"""Database credentials read from Secrets Manager when a connection is opened, not at start-up.

RDS rotates passwords (its managed master secret every 7 days by default, a service user's
whenever its secret is rotated): a password read once when a task starts stops working for
every connection opened after the next rotation. With `<SVC>_DB_SECRET_NAME` (or
`DB_SECRET_NAME`) set, each new connection uses the secret's cached value
`{username, password, host, port, dbname}` (RDS's layout); an authentication failure fetches
the secret again and retries once. Open connections are not affected by a rotation.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import boto3
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from common.aws import endpoint_url
from common.db import make_engine
from common.logging import get_logger
from common.settings import PostgresSettings

log = get_logger(__name__)

FetchSecret = Callable[[str], str]  # secret name -> SecretString (blocking)


@dataclass(frozen=True)
class DbCredentials:
    username: str
    password: str
    host: str
    port: int
    database: str

    def url(self, driver: str = "postgresql+asyncpg") -> str:
        return URL.create(
            driver, self.username, self.password or None, self.host, self.port, self.database
        ).render_as_string(hide_password=False)


class SecretCredentials:
    """The secret's current credentials, fetched once and again only after a login failed."""

    def __init__(self, secret_name: str, fetch: FetchSecret, defaults: DbCredentials) -> None:
        self._name = secret_name
        self._fetch = fetch
        self._defaults = defaults  # host, port, database when the secret omits them
        self._cached: DbCredentials | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> DbCredentials:
        if self._cached is None:
            async with self._lock:
                if self._cached is None:
                    self._cached = await asyncio.to_thread(self.read)
        return self._cached

    async def refresh(self, rejected: DbCredentials) -> DbCredentials:
        """Fetch again, unless another connection already did since `rejected` was read."""
        async with self._lock:
            if self._cached is None or self._cached == rejected:
                self._cached = await asyncio.to_thread(self.read)
                log.info("database credentials refreshed", extra={"secret": self._name})
            return self._cached

    def read(self) -> DbCredentials:
        value: dict[str, Any] = json.loads(self._fetch(self._name))
        d = self._defaults
        return DbCredentials(
            username=str(value["username"]),
            password=str(value["password"]),
            host=str(value.get("host") or d.host),
            port=int(value.get("port") or d.port),
            database=str(value.get("dbname") or d.database),
        )


def secrets_manager_fetcher(settings: PostgresSettings) -> FetchSecret:
    client = boto3.client(
        "secretsmanager",
        region_name=settings.aws_region,
        endpoint_url=endpoint_url("secretsmanager", settings.aws_endpoint_url),
    )

    def fetch(name: str) -> str:
        return str(client.get_secret_value(SecretId=name)["SecretString"])

    return fetch


def secret_credentials(
    settings: PostgresSettings, default_db: str, fetch: FetchSecret | None = None
) -> SecretCredentials | None:
    """The service's secret-backed credentials, or None when no secret is configured."""
    name = settings.database_secret_name
    if not name:
        return None
    defaults = DbCredentials(
        settings.db_user,
        "",
        settings.db_host,
        settings.db_port,
        settings.db_name or default_db,
    )
    return SecretCredentials(name, fetch or secrets_manager_fetcher(settings), defaults)


def secret_connector(
    credentials: SecretCredentials,
) -> Callable[[], Awaitable[asyncpg.Connection]]:
    """A connect function: the cached credentials, refreshed once if the login is refused."""

    async def connect() -> asyncpg.Connection:
        current = await credentials.current()
        try:
            return await _connect(current)
        except asyncpg.InvalidPasswordError:  # rotated since we read it
            return await _connect(await credentials.refresh(current))

    return connect


async def _connect(credentials: DbCredentials) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=credentials.host,
        port=credentials.port,
        user=credentials.username,
        password=credentials.password,
        database=credentials.database,
        timeout=10,
    )


def database_engine(
    settings: PostgresSettings, default_db: str, fetch: FetchSecret | None = None
) -> AsyncEngine:
    """The service's engine: credentials from its secret at each connect, or the plain URL."""
    credentials = secret_credentials(settings, default_db, fetch)
    url = settings.sqlalchemy_url(default_db)
    if credentials is None:
        return make_engine(url, settings.db_pool_size)
    # The URL only names the dialect; every connection comes from the connector.
    return make_engine(url, settings.db_pool_size, async_creator=secret_connector(credentials))


def listen_connector(
    settings: PostgresSettings, default_db: str, dsn: str
) -> Callable[[], Awaitable[asyncpg.Connection]]:
    """A plain asyncpg connect (e.g. for LISTEN), through the secret when one is configured."""
    credentials = secret_credentials(settings, default_db)
    if credentials is not None:
        return secret_connector(credentials)

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(dsn, timeout=5)

    return connect
