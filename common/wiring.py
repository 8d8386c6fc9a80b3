"""What every composition root (`<svc>/main.py`) wires the same way: the token verifier of
its API and its worker (the queue's consumer, the outbox relay, the worker's /metrics port).

A service's main names only what is its own: the queue, the handlers, its outbox store and
any extra loop (a reconciler, a pruner), passed as `extra_loops`.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Protocol

import httpx

from common.aws import open_client
from common.messaging import Consumer, Handler, SqsPublisher
from common.metrics import serve_worker_metrics
from common.security import JwtVerifier, KeySource, jwks_from_url
from common.settings import ServiceSettings
from common.worker import Loop, run_until_stopped


class Relay(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


# The service's outbox relay, given the publisher the worker shares with its consumer.
RelayFactory = Callable[[SqsPublisher, ServiceSettings], Relay]


async def open_verifier(
    stack: AsyncExitStack, settings: ServiceSettings, key_source: KeySource | None = None
) -> JwtVerifier:
    """The API's verifier: keys from `key_source` (tests, auth's own key ring), else fetched
    from the auth service's JWKS by an HTTP client that lives as long as `stack`."""
    if key_source is None:
        http = await stack.enter_async_context(httpx.AsyncClient())
        key_source = jwks_from_url(settings.jwks_url, http)
    return JwtVerifier(key_source, issuer=settings.jwt_issuer, audience=settings.jwt_audience)


async def worker_loops(
    stack: AsyncExitStack,
    settings: ServiceSettings,
    *,
    queue_name: str,
    handlers: Mapping[str, Handler],
    relay: RelayFactory,
    extra_loops: Sequence[Loop] = (),
) -> list[Loop]:
    """The consumer of `queue_name`, the outbox relay and `extra_loops`; the SQS client is
    opened on `stack`."""
    sqs = await open_client(stack, "sqs", settings)
    consumer = Consumer(
        sqs,
        queue_name,
        handlers,
        wait_seconds=settings.queue_wait_seconds,
        retry_base_seconds=settings.retry_base_seconds,
    )
    return [consumer.run, relay(SqsPublisher(sqs), settings).run, *extra_loops]


async def run_service_worker(
    settings: ServiceSettings, build: Callable[[AsyncExitStack], Awaitable[Sequence[Loop]]]
) -> None:
    """Serve the worker's /metrics (when `<SVC>_WORKER_METRICS_PORT` is set), build its loops
    on one exit stack and run them until SIGTERM; the stack closes after they stopped."""
    serve_worker_metrics(settings.worker_metrics_port)
    async with AsyncExitStack() as stack:
        await run_until_stopped(await build(stack))
