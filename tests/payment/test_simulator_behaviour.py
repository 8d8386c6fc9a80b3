"""Mercado Pago at its worst (issue 12, point 8): each behaviour switched on per test
through `POST /simulator/behaviour`, driven through the real SDK as the service does."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from mercadopago.config import RequestOptions

from infra.local.mercadopago_simulator import create_simulator_app
from payment.signature import verify_signature
from tests.payment.conftest import WEBHOOK_SECRET, ServerThread, WebhookReceiver
from tests.payment.test_simulator import ACCESS_TOKEN, control, create, pix_body, sdk_for

pytestmark = pytest.mark.filterwarnings("ignore:notification_url is deprecated:DeprecationWarning")


@pytest.fixture
def sim() -> Iterator[ServerThread]:
    """A fresh simulator per test: behaviours and stats never leak between tests."""
    app = create_simulator_app(WEBHOOK_SECRET, ACCESS_TOKEN, webhook_retry_delays=(0.2, 0.5))
    with ServerThread(app) as server:
        yield server


def behave(server: ServerThread, **behaviour: Any) -> None:
    httpx.post(f"{server.url}/simulator/behaviour", json=behaviour).raise_for_status()


def stats(server: ServerThread) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/simulator/stats").json())


def test_concurrent_creations_with_one_key_make_one_payment(sim: ServerThread) -> None:
    body, ids, start = pix_body(), [], threading.Barrier(8)

    def create_one() -> None:
        start.wait()
        ids.append(create(sdk_for(sim), body)["response"]["id"])

    threads = [threading.Thread(target=create_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    key = body["external_reference"]
    assert len(ids) == 8 and len(set(ids)) == 1
    assert stats(sim)["creations_per_key"][key] == 8
    assert stats(sim)["payments_per_key"][key] == 1


def test_dropped_webhooks_are_never_delivered(sim: ServerThread, receiver: WebhookReceiver) -> None:
    behave(sim, drop_webhooks=True)
    payment = create(sdk_for(sim), pix_body(receiver.url))["response"]
    assert control(sim, payment["id"], "approve")["webhook_status"] is None
    time.sleep(0.5)
    assert receiver.received == []


def test_delayed_webhook_arrives_later(sim: ServerThread, receiver: WebhookReceiver) -> None:
    behave(sim, webhook_delay_seconds=0.5)
    payment = create(sdk_for(sim), pix_body(receiver.url))["response"]
    control(sim, payment["id"], "approve")
    assert receiver.received == []
    assert len(receiver.wait_for(1, timeout=5)) == 1


def test_replayed_webhook_keeps_its_original_ts(
    sim: ServerThread, receiver: WebhookReceiver
) -> None:
    payment = create(sdk_for(sim), pix_body(receiver.url))["response"]
    control(sim, payment["id"], "approve")
    receiver.wait_for(1)
    httpx.post(f"{sim.url}/simulator/payments/{payment['id']}/replay").raise_for_status()
    first, again = receiver.wait_for(2)
    assert first["headers"]["x-signature"] == again["headers"]["x-signature"]
    assert first["headers"]["x-request-id"] == again["headers"]["x-request-id"]


def test_ipn_form_names_the_payment_in_topic_and_id(
    sim: ServerThread, receiver: WebhookReceiver
) -> None:
    behave(sim, webhook_form="ipn", sign_webhooks=False)
    payment = create(sdk_for(sim), pix_body(receiver.url))["response"]
    control(sim, payment["id"], "approve")
    (delivery,) = receiver.wait_for(1)
    assert delivery["query"] == {"topic": "payment", "id": str(payment["id"])}
    assert "x-signature" not in delivery["headers"] and delivery["body"] is None


def test_signed_webhook_verifies(sim: ServerThread, receiver: WebhookReceiver) -> None:
    payment = create(sdk_for(sim), pix_body(receiver.url))["response"]
    control(sim, payment["id"], "approve")
    (delivery,) = receiver.wait_for(1)
    headers = delivery["headers"]
    verify_signature(
        headers["x-signature"],
        headers["x-request-id"],
        str(payment["id"]),
        WEBHOOK_SECRET,
        now_ms=int(time.time() * 1000),
        tolerance_seconds=60,
    )


def test_outage_answers_503_then_recovers(sim: ServerThread) -> None:
    sdk = sdk_for(sim)
    behave(sim, down_for_seconds=1.0)
    assert create(sdk, pix_body())["status"] == 503
    time.sleep(1.2)
    assert create(sdk, pix_body())["status"] == 201


def test_hanging_outage_times_a_short_client_out(sim: ServerThread) -> None:
    behave(sim, down_for_seconds=3.0, down_mode="hang")
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(
            f"{sim.url}/v1/payments/1",
            headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
            timeout=0.5,
        )


def test_latency_slows_every_api_call(sim: ServerThread) -> None:
    sdk = sdk_for(sim)
    payment = create(sdk, pix_body())["response"]
    behave(sim, latency_seconds=0.5)
    started = time.monotonic()
    assert sdk.payment().get(payment["id"])["status"] == 200
    assert time.monotonic() - started >= 0.5


def test_refund_through_the_sdk_is_idempotent_per_key(sim: ServerThread) -> None:
    sdk = sdk_for(sim)
    payment = create(sdk, pix_body())["response"]
    options = RequestOptions(custom_headers={"x-idempotency-key": f"refund-{payment['id']}"})
    assert sdk.refund().create(payment["id"], None, options)["status"] == 400  # not approved
    control(sim, payment["id"], "approve")
    first = sdk.refund().create(payment["id"], None, options)
    again = sdk.refund().create(payment["id"], None, options)
    assert first["status"] == 201 and again["response"]["id"] == first["response"]["id"]
    fetched = sdk.payment().get(payment["id"])["response"]
    assert fetched["status"] == "refunded"
    assert stats(sim)["refunds_per_payment"] == {str(payment["id"]): 1}


def test_chargeback_and_approval_with_another_amount(sim: ServerThread) -> None:
    sdk = sdk_for(sim)
    payment = create(sdk, pix_body())["response"]
    response = httpx.post(
        f"{sim.url}/simulator/payments/{payment['id']}/approve", params={"amount": 1.0}
    )
    assert response.json()["payment"]["transaction_amount"] == 1.0
    control(sim, payment["id"], "chargeback")
    assert sdk.payment().get(payment["id"])["response"]["status"] == "charged_back"
