"""The worker every service's main builds with common.wiring serves its own /metrics."""

import asyncio
import urllib.request
from contextlib import AsyncExitStack

import pytest

from common.wiring import run_service_worker
from common.worker import Loop
from infra.local.processes import free_port
from order.settings import Settings as OrderSettings
from payment.settings import Settings as PaymentSettings
from production.settings import Settings as ProductionSettings


@pytest.mark.parametrize(
    ("settings_type", "prefix"),
    [(OrderSettings, "ORDER_"), (PaymentSettings, "PAYMENT_"), (ProductionSettings, "PRODUCTION_")],
)
def test_every_worker_reads_its_own_metrics_port(
    monkeypatch: pytest.MonkeyPatch, settings_type: type, prefix: str
) -> None:
    monkeypatch.setenv(f"{prefix}WORKER_METRICS_PORT", "9123")
    assert settings_type().worker_metrics_port == 9123


async def test_service_worker_serves_metrics_while_its_loops_run() -> None:
    port = free_port()
    settings = PaymentSettings(worker_metrics_port=port)
    scraped: list[bytes] = []

    async def scrape(stop: asyncio.Event) -> None:  # a loop that ends ends the worker
        url = f"http://127.0.0.1:{port}/metrics"
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
        scraped.append(body)

    async def loops(stack: AsyncExitStack) -> list[Loop]:
        return [scrape]

    await run_service_worker(settings, loops)
    assert b"outbox_published_total" in scraped[0]
