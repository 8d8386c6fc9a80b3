"""Catalog composition root: the app, its lifespan, and the CLI (api, migrate)."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from catalog import api
from catalog.repository import CatalogRepository
from catalog.settings import Settings
from common.cli import run_service_cli
from common.db_credentials import database_engine
from common.db_roles import migrate_database
from common.observability import setup_observability
from common.security import KeySource
from common.web import create_service_app
from common.wiring import open_verifier

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, key_source: KeySource | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = database_engine(settings, "catalog")
            stack.push_async_callback(engine.dispose)
            app.state.repository = CatalogRepository(engine)
            app.state.verifier = await open_verifier(stack, settings, key_source)
            yield

    async def database(app: FastAPI) -> None:
        await app.state.repository.ping()

    return create_service_app(
        name="catalog",
        prefix="/catalog",
        routers=[api.router],
        lifespan=lifespan,
        ready_checks=[database],
        max_body_bytes=settings.max_body_bytes,
    )


def main() -> None:
    settings = Settings()
    setup_observability("catalog-service", settings.log_level)
    run_service_cli(
        "catalog",
        lambda: create_app(settings),
        migrate=lambda: migrate_database(MIGRATIONS, settings, "catalog"),
    )


if __name__ == "__main__":
    main()
