"""Composition root of the order service."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from common.aws import open_client
from common.cli import run_service_cli
from common.db import make_session_factory, ping
from common.db_credentials import database_engine, listen_connector
from common.db_roles import migrate_database
from common.metrics import queue_probe, record_outbox_backlog
from common.observability import setup_observability
from common.outbox import OutboxRelay, outbox_backlog
from common.pruning import postgres_pruner
from common.resources import load_resources
from common.security import KeySource
from common.web import create_service_app
from common.wiring import open_verifier, run_service_worker, worker_loops
from common.worker import Loop
from order import api, consumer, repository, tracking
from order.catalog import CatalogClient
from order.live import StatusFeed
from order.settings import Settings

SERVICE = "order"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, key_source: KeySource | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = database_engine(settings, SERVICE)
        async with AsyncExitStack() as stack:
            app.state.engine = engine
            app.state.sessions = make_session_factory(engine)
            app.state.sqs = await open_client(stack, "sqs", settings)  # metrics: queue depth
            app.state.status_feed = StatusFeed(
                app.state.sessions, listen_connector(settings, SERVICE, asyncpg_dsn(settings))
            )
            await app.state.status_feed.start()
            stack.push_async_callback(app.state.status_feed.stop)
            catalog_http = await stack.enter_async_context(aiohttp.ClientSession())
            app.state.catalog = CatalogClient(
                catalog_http, settings.catalog_url, settings.catalog_timeout_seconds
            )
            app.state.verifier = await open_verifier(stack, settings, key_source)
            yield
        await engine.dispose()

    async def database(app: FastAPI) -> None:
        await ping(app.state.engine)

    async def outbox(app: FastAPI) -> None:
        async with app.state.sessions() as session:
            record_outbox_backlog(*await outbox_backlog(session, repository.outbox))

    async def queue(app: FastAPI) -> None:
        name = settings.order_queue_name
        await queue_probe(app.state.sqs, name, load_resources().dlq_name(name))()

    return create_service_app(
        name=SERVICE,
        prefix=f"/{SERVICE}",
        routers=[tracking.router, api.router],  # /board before /{order_id}
        lifespan=lifespan,
        ready_checks=[database],
        max_body_bytes=settings.max_body_bytes,
        metrics_probes=[outbox, queue],
    )


def asyncpg_dsn(settings: Settings) -> str:
    url = make_url(settings.sqlalchemy_url(SERVICE)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or Settings()

    async def loops(stack: AsyncExitStack) -> list[Loop]:
        engine = database_engine(settings, SERVICE)
        stack.push_async_callback(engine.dispose)
        sessions = make_session_factory(engine)
        return await worker_loops(
            stack,
            settings,
            queue_name=settings.order_queue_name,
            handlers=consumer.handlers(sessions),
            relay=OutboxRelay.factory(sessions, repository.outbox),
            extra_loops=[
                postgres_pruner(sessions, repository.outbox, repository.inbox, settings).run
            ],
        )

    await run_service_worker(settings, loops)


def migrate(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    migrate_database(MIGRATIONS, settings, SERVICE)


def main() -> None:
    settings = Settings()
    setup_observability(f"{SERVICE}-service", settings.log_level)
    run_service_cli(
        SERVICE,
        lambda: create_app(settings),
        lambda: run_worker(settings),
        lambda: migrate(settings),
    )


if __name__ == "__main__":
    main()
