"""End to end through the gateway: the same walk as `make demo`, plus the webhook's defences."""

import hashlib
import hmac
import json
import time
import uuid

import boto3
import httpx
import pytest

from common.resources import load_resources
from infra.local.bootstrap import LOCAL_MERCADOPAGO_SECRET
from infra.local.demo import (
    customer_token,
    ensure_products,
    payment_of,
    run_demo,
    staff_token,
    wait_for_status,
)
from infra.local.stack import Stack

pytestmark = pytest.mark.e2e


def test_one_order_travels_from_the_totem_to_delivered(stack: Stack) -> None:
    steps: list[str] = []
    with (
        httpx.Client(base_url=stack.gateway_url, timeout=10) as api,
        httpx.Client(base_url=stack.simulator_url, timeout=10) as simulator,
    ):
        order = run_demo(api, simulator, say=steps.append)
        history = api.get(f"/order/{order['id']}/history", headers=staff_token(api)).json()
    assert order["status"] == "DELIVERED"
    assert [h["status"] for h in history] == [
        "AWAITING_PAYMENT",
        "PAID",
        "IN_PREPARATION",
        "READY",
        "DELIVERED",
    ]
    assert any("Pix QR" in step for step in steps)


def test_the_flow_passes_through_the_three_queues_and_leaves_the_dlqs_empty(stack: Stack) -> None:
    sqs = boto3.client("sqs", endpoint_url=stack.moto.url, region_name="us-east-1")
    names = {url.rsplit("/", 1)[-1] for url in sqs.list_queues()["QueueUrls"]}
    resources = load_resources()
    for queue in resources.queues.values():
        assert {queue, resources.dlq_name(queue)} <= names
        url = sqs.get_queue_url(QueueName=resources.dlq_name(queue))["QueueUrl"]
        depth = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


def _signed_headers(payment_id: str, secret: str, ts_ms: int) -> dict[str, str]:
    request_id = str(uuid.uuid4())
    manifest = f"id:{payment_id};request-id:{request_id};ts:{ts_ms};"
    signature = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"x-signature": f"ts={ts_ms},v1={signature}", "x-request-id": request_id}


def _new_order(api: httpx.Client) -> tuple[dict, dict[str, str], str]:
    products = ensure_products(api, staff_token(api))
    customer = customer_token(api, cpf="11144477735")
    order = api.post(
        "/order",
        headers=customer,
        json={"items": [{"product_id": products[0]["id"], "quantity": 1}]},
    ).json()
    return order, customer, payment_of(api, order["id"], customer)["payment_id"]


def test_forged_and_stale_webhooks_are_refused_and_only_mercadopago_is_believed(
    stack: Stack,
) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as api:
        order, customer, pid = _new_order(api)
        body = json.dumps({"type": "payment", "action": "payment.updated", "data": {"id": pid}})
        url = f"/payment/webhook?data.id={pid}&type=payment"
        now_ms = int(time.time() * 1000)
        forged = _signed_headers(pid, "not-the-secret", now_ms)
        stale = _signed_headers(
            pid, LOCAL_MERCADOPAGO_SECRET["webhook_secret"], now_ms - 10 * 60 * 1000
        )
        for headers in (forged, stale):
            response = api.post(url, content=body, headers=headers)
            assert response.status_code == 401, response.text
            assert response.json()["error"] == "unauthorized"
        time.sleep(2)  # the re-fetch they scheduled found the payment still pending
        status = api.get(f"/order/{order['id']}", headers=customer).json()["status"]
        assert status == "AWAITING_PAYMENT"
        # Approved at Mercado Pago, notified in the legacy IPN form (unsigned): accepted,
        # and the worker's re-fetch moves the order.
        httpx.post(
            f"{stack.simulator_url}/simulator/payments/{pid}/approve",
            params={"notify": "false"},
            timeout=10,
        ).raise_for_status()
        ipn = api.post("/payment/webhook", params={"topic": "payment", "id": pid})
        assert ipn.status_code == 200, ipn.text
        assert wait_for_status(api, order["id"], customer, "PAID")["status"] == "PAID"


def test_order_is_paid_with_every_webhook_dropped(stack: Stack) -> None:
    with (
        httpx.Client(base_url=stack.gateway_url, timeout=10) as api,
        httpx.Client(base_url=stack.simulator_url, timeout=10) as simulator,
    ):
        simulator.post("/simulator/behaviour", json={"drop_webhooks": True}).raise_for_status()
        try:
            order, customer, pid = _new_order(api)
            simulator.post(f"/simulator/payments/{pid}/approve").raise_for_status()
            started = time.monotonic()
            paid = wait_for_status(api, order["id"], customer, "PAID", timeout=90)
            elapsed = time.monotonic() - started
        finally:
            simulator.delete("/simulator/behaviour").raise_for_status()
    print(f"PAID {elapsed:.1f} s after approval with webhooks dropped (bound 60 s)")
    assert paid["status"] == "PAID" and elapsed <= 60
