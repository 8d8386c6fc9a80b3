"""Alembic environment of the catalog service (online, async; see common.migrations_env)."""

from catalog.repository import metadata
from common.migrations_env import run

run(metadata)
