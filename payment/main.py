"""Composition root of the payment service."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from common.aws import open_client
from common.cli import run_service_cli
from common.dynamo import DynamoOutboxRelay
from common.observability import setup_observability
from common.pruning import dynamo_inbox_pruner
from common.security import KeySource
from common.web import create_service_app
from common.wiring import open_verifier, run_service_worker
from common.wiring import worker_loops as service_worker_loops
from common.worker import Loop
from payment import api, consumer
from payment.credentials import load_credentials
from payment.gateway import MercadoPagoGateway
from payment.ports import PaymentPorts
from payment.reconciler import Reconciler
from payment.repository import PaymentRepository, Tables
from payment.settings import Settings

SERVICE = "payment"


async def build_ports(settings: Settings, dynamodb: Any) -> PaymentPorts:
    credentials = await load_credentials(settings)
    return PaymentPorts(
        repository=PaymentRepository(
            dynamodb, Tables(settings.payments_table, settings.outbox_table, settings.inbox_table)
        ),
        gateway=MercadoPagoGateway(
            credentials.access_token,
            settings.mercadopago_base_url,
            settings.mercadopago_timeout_seconds,
        ),
        notification_url=settings.notification_url,
        webhook_secret=credentials.webhook_secret,
        pix_expiration=timedelta(seconds=settings.pix_expiration_seconds),
        webhook_tolerance_seconds=settings.webhook_tolerance_seconds,
        default_payer_email=settings.default_payer_email,
        pending_check_after=timedelta(seconds=settings.pending_check_after_seconds),
        pending_check_every=timedelta(seconds=settings.pending_check_every_seconds),
        notification_min_interval=timedelta(seconds=settings.notification_min_interval_seconds),
        unverified_min_interval=timedelta(seconds=settings.unverified_min_interval_seconds),
        creation_backoff_base=timedelta(seconds=settings.creation_backoff_base_seconds),
        creation_backoff_cap=timedelta(seconds=settings.creation_backoff_cap_seconds),
        creation_horizon=timedelta(seconds=settings.creation_horizon_seconds),
    )


def create_app(settings: Settings | None = None, *, key_source: KeySource | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            dynamodb = await open_client(stack, "dynamodb", settings)
            app.state.ports = await build_ports(settings, dynamodb)
            app.state.verifier = await open_verifier(stack, settings, key_source)
            yield

    async def payments_table(app: FastAPI) -> None:
        await app.state.ports.repository.ping()

    return create_service_app(
        name=SERVICE,
        prefix=f"/{SERVICE}",
        routers=[api.router],
        lifespan=lifespan,
        ready_checks=[payments_table],
        max_body_bytes=settings.max_body_bytes,
    )


async def worker_loops(stack: AsyncExitStack, settings: Settings) -> list[Loop]:
    """The consumer of payment-service-queue, the outbox relay and the reconciler, clients
    opened on `stack`."""
    dynamodb = await open_client(stack, "dynamodb", settings)
    ports = await build_ports(settings, dynamodb)
    return await service_worker_loops(
        stack,
        settings,
        queue_name=settings.payment_queue_name,
        handlers=consumer.handlers(ports),
        relay=DynamoOutboxRelay.factory(dynamodb, settings.outbox_table),
        extra_loops=[
            Reconciler(ports, settings.reconcile_interval_seconds, settings.reconcile_batch).run,
            dynamo_inbox_pruner(dynamodb, settings.inbox_table, settings).run,
        ],
    )


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    await run_service_worker(settings, lambda stack: worker_loops(stack, settings))


def main() -> None:
    settings = Settings()
    setup_observability(f"{SERVICE}-service", settings.log_level)
    run_service_cli(SERVICE, lambda: create_app(settings), lambda: run_worker(settings))


if __name__ == "__main__":
    main()
