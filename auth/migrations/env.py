"""Alembic environment of the auth service (online, async; see common.migrations_env)."""

from auth.repository import metadata
from common.migrations_env import run

run(metadata)
