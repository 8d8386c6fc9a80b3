"""Poison messages end in the DLQ (and the DLQ tool shows and redrives them); failed payments
cancel the order (saga compensation) and never reach the kitchen."""

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import httpx
import pytest

from common.events import PaymentApproved, new_envelope
from common.resources import load_resources
from infra.local.demo import customer_token, ensure_products, payment_of, staff_token
from infra.local.stack import Stack, StackPorts
from infra.ops import dlq
from tests.conftest import ARTIFACTS, record_figure
from tests.reliability.harness import (
    count_by_order,
    dlq_depths,
    kitchen_bot,
    open_shop,
    place_orders,
    report,
    running,
    wait_until_final,
)

pytestmark = pytest.mark.reliability
RESOURCES = load_resources()
Q = RESOURCES.queues
FAST = {"QUEUE_WAIT_SECONDS": "1", "RETRY_BASE_SECONDS": "0.5"}


def _envelope(name: str, version: int, payload: dict[str, object]) -> str:
    return json.dumps(
        {
            "meta": {
                "event_id": str(uuid.uuid4()),
                "event_name": name,
                "event_version": version,
                "occurred_at": datetime.now(UTC).isoformat(),
                "source": "attacker",
                "correlation_id": str(uuid.uuid4()),
                "causation_id": None,
            },
            "payload": payload,
        }
    )


def poison_kinds() -> dict[str, str]:
    approved = json.loads(
        new_envelope(
            PaymentApproved(
                order_id=uuid.uuid4(), payment_id="1", amount="1.00", approved_at=datetime.now(UTC)
            ),
            source="test",
        ).to_json()
    )
    float_amount = dict(approved["payload"], amount=1.5)
    return {
        "not json": "{{{ definitely not json",
        "no envelope": json.dumps({"order_id": str(uuid.uuid4())}),
        "unknown event": _envelope("order-teleported", 1, {}),
        "unknown version": _envelope("payment-approved", 9, approved["payload"]),
        "float money": _envelope("payment-approved", 1, float_amount),
        "wrong queue": _envelope(
            "order-paid",
            1,
            {
                "order_id": str(uuid.uuid4()),
                "items": [{"name": "x", "quantity": 1}],
                "paid_at": datetime.now(UTC).isoformat(),
            },
        ),
    }


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    running_stack = Stack(
        StackPorts.free(),
        ARTIFACTS / "logs" / "reliability" / "poison",
        extra_env={**FAST, "PAYMENT_PIX_EXPIRATION_SECONDS": "6"},
    )
    running_stack.start()
    yield running_stack
    running_stack.stop()


def test_poison_messages_of_every_kind_land_in_the_dlq_and_nothing_else_is_affected(
    stack: Stack,
) -> None:
    sqs = boto3.client("sqs", endpoint_url=stack.moto.url, region_name="us-east-1")
    kinds = poison_kinds()
    targets = {"order": Q["order"], "payment": Q["payment"], "production": Q["production"]}
    for queue in targets.values():
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        for body in kinds.values():
            if body is kinds["wrong queue"] and queue == Q["production"]:
                continue  # order-paid is legitimate there
            sqs.send_message(QueueUrl=url, MessageBody=body)
    expected = {Q["order"]: len(kinds), Q["payment"]: len(kinds), Q["production"]: len(kinds) - 1}

    async def healthy_traffic() -> tuple[list[str], dict[str, str]]:
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as api:
            shop = await open_shop(api)
            stop = asyncio.Event()
            async with running(kitchen_bot(api, shop, stop)):
                order_ids = await place_orders(api, shop, 10)
                for order_id in order_ids:
                    payment = await _payment(api, order_id, shop.customers)
                    await api.post(f"{stack.simulator_url}/simulator/payments/{payment}/approve")
                statuses = await wait_until_final(stack, order_ids, "DELIVERED", 180)
                stop.set()
        return order_ids, statuses

    order_ids, statuses = asyncio.run(healthy_traffic())
    deadline = time.monotonic() + 120
    while dlq_depths(stack) != expected and time.monotonic() < deadline:
        time.sleep(1)
    depths = dlq_depths(stack)
    report(
        "poison",
        order_ids,
        statuses,
        "DELIVERED",
        count_by_order(stack, "payment-payments"),
        count_by_order(stack, "production-tickets"),
        poison_sent=sum(expected.values()),
        poison_in_dlq=sum(depths.values()),
    )
    assert depths == expected
    assert all(s == "DELIVERED" for s in statuses.values())
    logged = "".join(
        (stack.log_dir / f"{w}-worker.log").read_text() for w in ("order", "payment", "production")
    )
    for reason in (
        "body is not JSON",
        "unknown event 'order-teleported'",
        "unknown event 'payment-approved' version 9",
        "invalid payment-approved payload",
        "no handler for 'order-paid'",
    ):
        assert reason in logged, f"no log line saying why: {reason}"

    # The DLQ tool: list, show (with the diagnosis) and redrive back to the source queue.
    listed = {row["queue"]: row["visible"] for row in dlq.list_dlqs(sqs)}
    assert listed[Q["order"]] == len(kinds)
    shown = dlq.show(sqs, Q["order"], 20)
    assert len(shown) == len(kinds)
    diagnoses = sorted(item["diagnosis"].split(":")[0] for item in shown)
    assert diagnoses == ["poison"] * (len(kinds) - 1) + ["valid order-paid v1"]
    assert dlq.redrive(sqs, Q["order"]) == dlq.Redrive(len(kinds), "receive-send")  # moto
    assert dlq.depth(sqs, RESOURCES.dlq_name(Q["order"]))["visible"] == 0


async def _payment(api: httpx.AsyncClient, order_id: str, customers: list[dict[str, str]]) -> str:
    for _ in range(150):
        for headers in customers:
            response = await api.get(f"/payment/order/{order_id}", headers=headers)
            if response.status_code == 200:
                payment_id: str = response.json()["payment_id"]
                return payment_id
        await asyncio.sleep(0.2)
    raise AssertionError(f"no payment for {order_id}")


def test_rejected_and_expired_payments_cancel_the_order_and_never_reach_the_kitchen(
    stack: Stack,
) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as api:
        products = ensure_products(api, staff_token(api))
        customer = customer_token(api, cpf="39053344705")
        body = {"items": [{"product_id": products[0]["id"], "quantity": 1}]}
        rejected = api.post("/order", headers=customer, json=body).json()["id"]
        expired = api.post("/order", headers=customer, json=body).json()["id"]
        rejected_payment = payment_of(api, rejected, customer)["payment_id"]
        expired_payment = payment_of(api, expired, customer)["payment_id"]
        httpx.post(f"{stack.simulator_url}/simulator/payments/{rejected_payment}/reject")
        # `expired` is never paid: the simulator expires it at its date_of_expiration (6 s).
        statuses = asyncio.run(wait_until_final(stack, [rejected, expired], "CANCELLED", 60))
        assert statuses == {rejected: "CANCELLED", expired: "CANCELLED"}
        views = {o: api.get(f"/order/{o}", headers=customer).json() for o in (rejected, expired)}
        assert "payment-rejected" in views[rejected]["cancel_reason"]
        assert "payment-expired" in views[expired]["cancel_reason"]
        # The customer pays the expired QR anyway: refunded at Mercado Pago, never cooked.
        httpx.post(f"{stack.simulator_url}/simulator/payments/{expired_payment}/approve")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            late = api.get(f"/payment/{expired_payment}", headers=customer).json()
            if late["status"] == "REFUNDED":
                break
            time.sleep(0.5)
        assert api.get(f"/order/{expired}", headers=customer).json()["status"] == "CANCELLED"
    tickets = count_by_order(stack, "production-tickets")
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.moto.url, region_name="us-east-1")
    item = dynamodb.get_item(
        TableName="payment-payments", Key={"payment_id": {"S": expired_payment}}
    )["Item"]
    record_figure(
        f"[reliability] compensation: cancelled=2 tickets={tickets[rejected] + tickets[expired]} "
        f"late_approval_refunded={late['status'] == 'REFUNDED'}"
    )
    assert tickets[rejected] == tickets[expired] == 0
    assert item["late_approval"]["BOOL"] is True and item["needs_refund"]["BOOL"] is False
    assert late["status"] == "REFUNDED"  # refunded, announced as payment-refunded only
