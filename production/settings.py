"""Production service settings: env prefix PRODUCTION_ (e.g. PRODUCTION_TICKETS_TABLE)."""

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from common.resources import load_resources
from common.settings import ServiceSettings

_RESOURCES = load_resources()


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PRODUCTION_", extra="ignore", populate_by_name=True
    )

    tickets_table: str = _RESOURCES.table("production-tickets").name
    outbox_table: str = _RESOURCES.table("production-outbox").name
    inbox_table: str = _RESOURCES.table("production-inbox").name

    @model_validator(mode="after")
    def _refuse_local_defaults_in_prod(self) -> "Settings":
        # This service holds no secret of its own; what must not reach prod is the local
        # wiring: keys fetched from a laptop, an AWS emulator in place of AWS.
        if self.environment == "prod":
            if _is_local(self.jwks_url):
                raise ValueError("JWKS_URL points at a local address in prod")
            if self.aws_endpoint_url and _is_local(self.aws_endpoint_url):
                raise ValueError("AWS_ENDPOINT_URL points at a local emulator in prod")
        return self


def _is_local(url: str) -> bool:
    return any(host in url for host in ("localhost", "127.0.0.1", "localstack", "moto"))
