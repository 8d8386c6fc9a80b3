"""Composition root of the payment service."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from common.aws import open_client
from common.cli import run_service_cli
from common.dynamo import DynamoOutboxRelay
from common.messaging import Consumer, SqsPublisher
from common.observability import setup_observability
from common.pruning import dynamo_inbox_pruner
from common.security import JwtVerifier, KeySource, jwks_from_url
from common.web import create_service_app
from common.worker import run_until_stopped
from payment import api, consumer
from payment.credentials import load_credentials
from payment.gateway import MercadoPagoGateway
from payment.ports import PaymentPorts
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
    )


def create_app(settings: Settings | None = None, *, key_source: KeySource | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(httpx.AsyncClient())
            dynamodb = await open_client(stack, "dynamodb", settings)
            app.state.ports = await build_ports(settings, dynamodb)
            app.state.verifier = JwtVerifier(
                key_source or jwks_from_url(settings.jwks_url, http),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
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


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    async with AsyncExitStack() as stack:
        sqs = await open_client(stack, "sqs", settings)
        dynamodb = await open_client(stack, "dynamodb", settings)
        ports = await build_ports(settings, dynamodb)
        queue_consumer = Consumer(
            sqs,
            settings.payment_queue_name,
            consumer.handlers(ports),
            wait_seconds=settings.queue_wait_seconds,
            retry_base_seconds=settings.retry_base_seconds,
        )
        relay = DynamoOutboxRelay(
            dynamodb,
            settings.outbox_table,
            SqsPublisher(sqs),
            settings.queue_names(),
            idle_seconds=settings.relay_idle_seconds,
            max_idle_seconds=settings.relay_max_idle_seconds,
        )
        pruner = dynamo_inbox_pruner(dynamodb, settings.inbox_table, settings)
        await run_until_stopped([queue_consumer.run, relay.run, pruner.run])


def main() -> None:
    settings = Settings()
    setup_observability(f"{SERVICE}-service", settings.log_level)
    run_service_cli(SERVICE, lambda: create_app(settings), lambda: run_worker(settings))


if __name__ == "__main__":
    main()
