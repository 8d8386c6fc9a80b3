"""Composition root of the order service."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
import httpx
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from common.aws import open_client
from common.cli import run_service_cli
from common.db import make_session_factory, ping
from common.db_credentials import database_engine, listen_connector
from common.db_roles import migrate_database
from common.messaging import Consumer, SqsPublisher
from common.metrics import queue_probe, record_outbox_backlog, serve_worker_metrics
from common.observability import setup_observability
from common.outbox import OutboxRelay, outbox_backlog
from common.pruning import postgres_pruner
from common.resources import load_resources
from common.security import JwtVerifier, KeySource, jwks_from_url
from common.web import create_service_app
from common.worker import run_until_stopped
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
            http = await stack.enter_async_context(httpx.AsyncClient())
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
            app.state.verifier = JwtVerifier(
                key_source or jwks_from_url(settings.jwks_url, http),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
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
    serve_worker_metrics(settings.worker_metrics_port)
    engine = database_engine(settings, SERVICE)
    sessions = make_session_factory(engine)
    async with AsyncExitStack() as stack:
        sqs = await open_client(stack, "sqs", settings)
        queue_consumer = Consumer(
            sqs,
            settings.order_queue_name,
            consumer.handlers(sessions),
            wait_seconds=settings.queue_wait_seconds,
            retry_base_seconds=settings.retry_base_seconds,
        )
        relay = OutboxRelay(
            sessions,
            repository.outbox,
            SqsPublisher(sqs),
            settings.queue_names(),
            idle_seconds=settings.relay_idle_seconds,
        )
        pruner = postgres_pruner(sessions, repository.outbox, repository.inbox, settings)
        await run_until_stopped([queue_consumer.run, relay.run, pruner.run])
    await engine.dispose()


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
