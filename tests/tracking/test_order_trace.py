"""Following one order across the services: its trace, and `python -m infra.ops.trace`."""

import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest

from infra.local.demo import staff_token, wait_for_status
from infra.local.processes import REPO_ROOT
from tests.tracking.collector import ReceivedSpan
from tests.tracking.conftest import TrackingStack, pay, place_order, valid_cpf

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def delivered(tracking: TrackingStack) -> dict[str, Any]:
    """One order walked from the totem to DELIVERED through the gateway."""
    with httpx.Client(base_url=tracking.gateway_url, timeout=10) as api:
        order, customer = place_order(api, valid_cpf(401))
        ticket = pay(api, tracking.simulator_url, order, customer)
        staff = staff_token(api)
        for action, status in (
            ("started", "IN_PREPARATION"),
            ("completed", "READY"),
            ("delivered", "DELIVERED"),
        ):
            api.put(f"/production/{ticket['production_id']}/{action}", headers=staff)
            wait_for_status(api, order["id"], customer, status)
    return order


def test_the_order_is_one_trace_from_the_totem_to_the_kitchen(
    tracking: TrackingStack, delivered: dict[str, Any]
) -> None:
    trace_id = uuid.UUID(delivered["correlation_id"]).hex
    expected = {
        ("order-service", "POST /order"),
        ("catalog-service", "GET /catalog/products/batch"),
        ("order-service", "publish order-payment-requested"),
        ("payment-service", "process order-payment-requested"),
        ("order-service", "process payment-created"),
        ("payment-service", "stage payment-approved"),  # decided by the reconciler's re-fetch
        ("order-service", "process payment-approved"),
        ("production-service", "process order-paid"),
        ("production-service", "stage production-started"),  # caused by a staff click
        ("order-service", "process production-delivered"),
    }
    deadline = time.monotonic() + 15
    while True:  # each process exports in its own batches: wait for parents too, not just names
        spans = tracking.collector.trace(trace_id)
        ids = {s.span_id for s in spans}
        orphans = [s for s in spans if s.parent_span_id and s.parent_span_id not in ids]
        complete = expected <= {(s.service, s.name) for s in spans} and not orphans
        if complete or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert expected <= {(s.service, s.name) for s in spans}
    roots = [s for s in spans if not s.parent_span_id]
    assert [s.name for s in spans if s.parent_span_id and s.parent_span_id not in ids] == []
    assert sorted(s.name for s in roots if not s.name.startswith("stage ")) == ["POST /order"]
    # The webhook only records the notification; the worker's re-fetch from Mercado Pago
    # stages payment-approved, in a span of its own that the stage span links to.
    decided_by = _linked(tracking, _named(spans, "stage payment-approved"))
    assert "reconcile payment" in {s.name for s in decided_by}


def _named(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    return next(s for s in spans if s.name == name)


def _linked(tracking: TrackingStack, span: ReceivedSpan) -> list[ReceivedSpan]:
    return [s for trace_id in span.links for s in tracking.collector.trace(trace_id)]


def test_trace_command_prints_the_timeline_of_a_delivered_order(
    tracking: TrackingStack, delivered: dict[str, Any]
) -> None:
    env = {**os.environ, **tracking.stack.env(), "PYTHONPATH": str(REPO_ROOT)}

    def trace(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "infra.ops.trace", delivered["id"], *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    text = trace()
    assert delivered["display_number"] in text and "DELIVERED" in text
    assert delivered["correlation_id"] in text
    assert "created (awaiting payment) → payment" in text
    steps = [step["what"] for step in json.loads(trace("--json"))["steps"]]
    expected = [
        "created (awaiting payment)",
        "approved",
        "paid",
        "kitchen ticket received",
        "kitchen started",
        "in preparation",
        "kitchen completed",
        "ready",
        "ticket delivered",
        "delivered",
    ]
    positions = [next(i for i, s in enumerate(steps) if s.endswith(e)) for e in expected]
    assert positions == sorted(positions), steps
    assert any(s.startswith("payment ") and s.endswith(" created") for s in steps)
