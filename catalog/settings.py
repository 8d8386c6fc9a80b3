"""Catalog settings (env prefix CATALOG_): the database plus the shared JWT/JWKS settings."""

from pydantic_settings import SettingsConfigDict

from common.settings import PostgresSettings


class Settings(PostgresSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", populate_by_name=True)
