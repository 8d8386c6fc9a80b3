"""Base settings shared by every service; each service adds its own with its env prefix.

Shared fields carry an explicit alias (plain env names such as `AWS_REGION`), so the
service's `env_prefix` (e.g. `ORDER_`) applies only to the service's own fields.
"""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.resources import load_resources

_RESOURCES = load_resources()
Environment = Literal["local", "test", "prod"]
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "[::1]")


def _is_local(value: object) -> bool:
    return isinstance(value, str) and any(host in value for host in _LOCAL_HOSTS)


class ServiceSettings(BaseSettings):
    # hide_input_in_errors: a refused setting must not print every secret beside it (the
    # error goes to the logs of a task that fails to start). Subclasses inherit it.
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    environment: Environment = Field("local", alias="ENVIRONMENT")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    aws_region: str = Field("us-east-1", alias="AWS_REGION")
    aws_endpoint_url: str | None = Field(None, alias="AWS_ENDPOINT_URL")
    jwt_issuer: str = Field("http://localhost:8080/auth", alias="JWT_ISSUER")
    jwt_audience: str = Field("fastfood-api", alias="JWT_AUDIENCE")
    jwks_url: str = Field("http://localhost:8080/auth/.well-known/jwks.json", alias="JWKS_URL")
    payment_queue_name: str = Field(_RESOURCES.queues["payment"], alias="PAYMENT_QUEUE_NAME")
    order_queue_name: str = Field(_RESOURCES.queues["order"], alias="ORDER_QUEUE_NAME")
    production_queue_name: str = Field(
        _RESOURCES.queues["production"], alias="PRODUCTION_QUEUE_NAME"
    )
    queue_wait_seconds: int = Field(20, ge=0, le=20, alias="QUEUE_WAIT_SECONDS")
    retry_base_seconds: float = Field(2.0, gt=0, alias="RETRY_BASE_SECONDS")
    relay_idle_seconds: float = Field(0.1, gt=0, alias="RELAY_IDLE_SECONDS")
    # DynamoDB outbox relays back off from relay_idle_seconds up to this while idle.
    relay_max_idle_seconds: float = Field(1.0, gt=0, alias="RELAY_MAX_IDLE_SECONDS")
    max_body_bytes: int = Field(64 * 1024, gt=0, alias="MAX_BODY_BYTES")
    # <PREFIX>WORKER_METRICS_PORT: the worker serves its own /metrics (handler durations,
    # relay publishes) when set (common/wiring.py); API processes ignore it.
    worker_metrics_port: int | None = None
    # Pruning (common/pruning.py): sent outbox rows are kept this long for debugging.
    outbox_retention_seconds: float = Field(24 * 3600, ge=0, alias="OUTBOX_RETENTION_SECONDS")
    prune_interval_seconds: float = Field(3600, gt=0, alias="PRUNE_INTERVAL_SECONDS")

    def queue_names(self) -> dict[str, str]:
        """Queue name by owning service, as used by `common.events.DESTINATIONS`."""
        return {
            "payment": self.payment_queue_name,
            "order": self.order_queue_name,
            "production": self.production_queue_name,
        }

    @model_validator(mode="after")
    def _refuse_local_endpoints_in_prod(self) -> "ServiceSettings":
        if self.environment == "prod" and "localhost" in self.jwt_issuer:
            raise ValueError("JWT_ISSUER points at localhost in prod")
        return self


class PostgresSettings(ServiceSettings):
    """A Postgres-backed service: a full URL, or parts as injected by ECS from RDS."""

    database_url: str | None = None  # <PREFIX>DATABASE_URL
    db_host: str = Field("127.0.0.1", alias="DB_HOST")
    db_port: int = Field(5432, alias="DB_PORT")
    db_user: str = Field("app", alias="DB_USER")
    db_password: str = Field("", alias="DB_PASSWORD")
    db_name: str | None = Field(None, alias="DB_NAME")
    # Secrets Manager secret {username, password, host?, port?, dbname?} read at each connect
    # (common/db_credentials.py): the service's own `<PREFIX>DB_SECRET_NAME`, else the shared
    # DB_SECRET_NAME. With one, DB_USER / DB_PASSWORD are only the admin login `migrate` uses
    # to create the service's role and database (common/db_roles.py).
    db_secret_name: str | None = None
    shared_db_secret_name: str | None = Field(None, alias="DB_SECRET_NAME")
    # Connections per process, opened as needed and then kept (common/db.py: no overflow).
    db_pool_size: int = Field(20, ge=1, alias="DB_POOL_SIZE")

    @model_validator(mode="after")
    def _refuse_local_wiring_in_prod(self) -> "PostgresSettings":
        """Prod refuses the local defaults: any `*_url` setting (JWKS_URL, the service's own
        such as ORDER_CATALOG_URL, a DATABASE_URL) on a local address, or the local database
        (127.0.0.1, no password). Names only in the message: a URL may carry a password."""
        if self.environment != "prod":
            return self
        urls = [name for name in type(self).model_fields if name.endswith("_url")]
        local = [name for name in urls if _is_local(getattr(self, name))]
        if local:
            raise ValueError(f"{', '.join(sorted(local))} point at a local address in prod")
        if self.database_url or self.database_secret_name:
            return self
        if not self.db_password or _is_local(self.db_host):
            raise ValueError("DB_HOST / DB_PASSWORD are the local defaults in prod")
        return self

    @property
    def database_secret_name(self) -> str | None:
        return self.db_secret_name or self.shared_db_secret_name or None

    def sqlalchemy_url(self, default_db: str) -> str:
        if self.database_url:
            return self.database_url
        from sqlalchemy.engine import URL

        return URL.create(
            "postgresql+asyncpg",
            username=self.db_user,
            password=self.db_password or None,
            host=self.db_host,
            port=self.db_port,
            database=self.db_name or default_db,
        ).render_as_string(hide_password=False)
