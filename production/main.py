"""Composition root of the production service: the API app, the worker, and the CLI.

`python -m production.main api` serves HTTP; `python -m production.main worker` runs the
order-paid / order-cancelled consumer and the outbox relay until SIGTERM.
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from common.aws import open_client
from common.cli import run_service_cli
from common.dynamo import DynamoOutboxRelay, dynamo_outbox_probe
from common.metrics import queue_probe
from common.observability import setup_observability
from common.pruning import dynamo_inbox_pruner
from common.resources import load_resources
from common.security import KeySource
from common.web import create_service_app
from common.wiring import open_verifier, run_service_worker
from common.wiring import worker_loops as service_worker_loops
from common.worker import Loop
from production import tracking
from production.api import router
from production.consumer import handlers
from production.live import KitchenFeed
from production.repository import TicketRepository
from production.settings import Settings


def make_repository(dynamodb: Any, settings: Settings) -> TicketRepository:
    return TicketRepository(
        dynamodb,
        tickets_table=settings.tickets_table,
        outbox_table=settings.outbox_table,
        inbox_table=settings.inbox_table,
    )


async def tickets_table(app: FastAPI) -> None:
    """Ready when the tickets table answers (DescribeTable)."""
    await app.state.repository.ping()


def create_app(settings: Settings | None = None, *, key_source: KeySource | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            dynamodb = await open_client(stack, "dynamodb", settings)
            app.state.repository = make_repository(dynamodb, settings)
            app.state.dynamodb = dynamodb
            app.state.sqs = await open_client(stack, "sqs", settings)  # metrics: queue depth
            app.state.kitchen_feed = KitchenFeed(app.state.repository, tracking.render_tickets)
            await app.state.kitchen_feed.start()
            stack.push_async_callback(app.state.kitchen_feed.stop)
            app.state.verifier = await open_verifier(stack, settings, key_source)
            yield

    async def outbox(app: FastAPI) -> None:
        await dynamo_outbox_probe(app.state.dynamodb, settings.outbox_table)()

    async def queue(app: FastAPI) -> None:
        name = settings.production_queue_name
        await queue_probe(app.state.sqs, name, load_resources().dlq_name(name))()

    return create_service_app(
        name="production",
        prefix="/production",
        routers=[tracking.router, router],  # /kitchen and /events before /{production_id}
        lifespan=lifespan,
        ready_checks=[tickets_table],
        max_body_bytes=settings.max_body_bytes,
        metrics_probes=[outbox, queue],
    )


async def worker_loops(stack: AsyncExitStack, settings: Settings) -> list[Loop]:
    """The consumer of production-service-queue and the outbox relay, clients opened on `stack`."""
    dynamodb = await open_client(stack, "dynamodb", settings)
    return await service_worker_loops(
        stack,
        settings,
        queue_name=settings.production_queue_name,
        handlers=handlers(make_repository(dynamodb, settings)),
        relay=DynamoOutboxRelay.factory(dynamodb, settings.outbox_table),
        extra_loops=[dynamo_inbox_pruner(dynamodb, settings.inbox_table, settings).run],
    )


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    await run_service_worker(settings, lambda stack: worker_loops(stack, settings))


def main() -> None:
    settings = Settings()
    setup_observability("production-service", settings.log_level)
    run_service_cli("production", lambda: create_app(settings), lambda: run_worker(settings))


if __name__ == "__main__":
    main()
