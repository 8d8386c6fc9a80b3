"""One embedded stack for every end-to-end test of tracking (started once for the package)."""

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infra.local.demo import customer_token, ensure_products, payment_of, staff_token, ticket_of
from infra.local.processes import REPO_ROOT, free_port
from infra.local.stack import Stack, StackPorts
from tests.conftest import ARTIFACTS
from tests.tools import missing_tool
from tests.tracking.collector import Collector


@dataclass
class TrackingStack:
    stack: Stack
    worker_metrics: dict[str, int]  # service -> port of its worker's /metrics
    collector: Collector  # every process exports its spans here (OTLP/HTTP)

    @property
    def gateway_url(self) -> str:
        return self.stack.gateway_url

    @property
    def simulator_url(self) -> str:
        return self.stack.simulator_url


@pytest.fixture(scope="package")
def tracking() -> Iterator[TrackingStack]:
    ports = StackPorts.free()
    taken = {ports.gateway, ports.moto, ports.postgres, ports.simulator, *ports.services.values()}
    worker_metrics: dict[str, int] = {}
    while len(worker_metrics) < 2:  # free_port() can hand out the same port twice
        port = free_port()
        if port not in taken:
            taken.add(port)
            worker_metrics["production" if worker_metrics else "order"] = port
    collector = Collector()
    stack = Stack(
        ports,
        ARTIFACTS / "logs" / "tracking",
        extra_env={
            "QUEUE_WAIT_SECONDS": "1",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms: spans reach the collector quickly
            "ORDER_WORKER_METRICS_PORT": str(worker_metrics["order"]),
            "PRODUCTION_WORKER_METRICS_PORT": str(worker_metrics["production"]),
        },
    )
    try:
        stack.start()
        yield TrackingStack(stack, worker_metrics, collector)
    finally:
        stack.stop()
        collector.stop()


def place_order(
    api: httpx.Client, cpf: str, notes: str | None = None, staff: dict[str, str] | None = None
) -> tuple[dict, dict]:
    """A customer's order, awaiting payment; returns (order, customer headers)."""
    products = ensure_products(api, staff or staff_token(api))
    customer = customer_token(api, cpf=cpf)
    item = {"product_id": products[0]["id"], "quantity": 1, "notes": notes}
    response = api.post("/order", headers=customer, json={"items": [item]})
    assert response.status_code == 201, response.text
    order = response.json()
    order["correlation_id"] = response.headers["x-correlation-id"]  # = the order's trace id
    return order, customer


def pay(
    api: httpx.Client,
    simulator_url: str,
    order: dict,
    customer: dict[str, str],
    staff: dict[str, str] | None = None,
) -> dict:
    """Approve the order's Pix at the simulator; returns the kitchen ticket once it exists
    (looked up with `staff`, or a fresh staff login: logins are throttled per address)."""
    payment = payment_of(api, order["id"], customer)
    approved = httpx.post(
        f"{simulator_url}/simulator/payments/{payment['payment_id']}/approve", timeout=10
    )
    assert approved.status_code == 200, approved.text
    return ticket_of(api, order["id"], staff or staff_token(api))


def valid_cpf(seed: int) -> str:
    """A CPF with correct check digits, different for each seed (test customers)."""
    base = [int(d) for d in f"{(seed * 7919 + 123456789) % 10**9:09d}"]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(base, range(length + 1, 1, -1), strict=False))
        base.append((total * 10 % 11) % 10)
    return "".join(map(str, base))


CHROMIUM = Path("/usr/bin/chromium")
INSTALLER = REPO_ROOT / "scripts" / "install-browser.sh"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed by scripts/install-browser.sh when missing (as `make
    test` does); the browser tests skip only when it cannot be installed here."""
    if not CHROMIUM.exists():
        result = subprocess.run(
            ["bash", str(INSTALLER)], capture_output=True, text=True, timeout=900, check=False
        )
        if result.returncode != 0 or not CHROMIUM.exists():
            reason = f"cannot install Chromium: {(result.stderr or result.stdout).strip()}"
            print(reason)
            missing_tool(reason)
    return str(CHROMIUM)
