from pydantic_settings import SettingsConfigDict

from common.settings import PostgresSettings


class Settings(PostgresSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_", extra="ignore", populate_by_name=True)

    catalog_url: str = "http://localhost:8080/catalog"
    catalog_timeout_seconds: float = 3.0
