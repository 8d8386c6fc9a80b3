"""The Mercado Pago simulator, driven through the real SDK exactly as the payment service does."""

import base64
import http.server
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx
import mercadopago
import pytest
import requests
from mercadopago.config import RequestOptions
from mercadopago.webhook.validator import WebhookSignatureValidator

from infra.local.mercadopago_simulator import create_simulator_app
from infra.local.mercadopago_simulator.pix import crc16_ccitt
from payment.gateway import BaseUrlHttpClient, PixCharge, pix_request
from payment.signature import verify_signature
from tests.payment.conftest import ACCESS_TOKEN, WEBHOOK_SECRET, ServerThread, WebhookReceiver

# The SDK warns that notification_url is deprecated; the API and the simulator still honour it.
pytestmark = pytest.mark.filterwarnings("ignore:notification_url is deprecated:DeprecationWarning")


def sdk_for(server: ServerThread, token: str = ACCESS_TOKEN) -> Any:
    return mercadopago.SDK(token, http_client=BaseUrlHttpClient(server.url))


def pix_body(notification_url: str = "http://127.0.0.1:9/webhook", **overrides: Any) -> dict:
    charge = PixCharge(
        order_id=str(uuid.uuid4()),
        amount=Decimal("25.90"),
        description="Fast-food order 42",
        payer_email="ana@example.com",
        payer_first_name="Ana",
        payer_cpf="52998224725",
        notification_url=notification_url,
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )
    return pix_request(charge) | overrides


def create(sdk: Any, body: dict, key: str | None = None) -> dict:
    options = RequestOptions(
        custom_headers={"x-idempotency-key": key or body["external_reference"]}
    )
    return dict(sdk.payment().create(body, options))


def control(server: ServerThread, payment_id: Any, action: str) -> dict:
    response = httpx.post(f"{server.url}/simulator/payments/{payment_id}/{action}", timeout=10)
    response.raise_for_status()
    return dict(response.json())


def test_base_url_client_keeps_the_real_api_by_default_and_rewrites_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def record(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(url)
        answer = requests.Response()
        answer.status_code, answer._content = 200, b"{}"
        return answer

    monkeypatch.setattr(requests.Session, "request", record)
    mercadopago.SDK("t", http_client=BaseUrlHttpClient()).payment().get(1)
    mercadopago.SDK("t", http_client=BaseUrlHttpClient("http://sim:1/")).payment().get(1)
    assert seen == ["https://api.mercadopago.com/v1/payments/1", "http://sim:1/v1/payments/1"]


def test_create_pix_payment_returns_pending_payment_with_qr_data(simulator: ServerThread) -> None:
    body = pix_body()
    result = create(sdk_for(simulator), body)
    assert result["status"] == 201
    payment = result["response"]
    assert isinstance(payment["id"], int)
    assert (payment["status"], payment["status_detail"]) == ("pending", "pending_waiting_transfer")
    assert payment["external_reference"] == body["external_reference"]
    assert payment["transaction_amount"] == 25.9
    assert datetime.fromisoformat(payment["date_of_expiration"]) == datetime.fromisoformat(
        body["date_of_expiration"]
    )
    data = payment["point_of_interaction"]["transaction_data"]
    code = data["qr_code"]
    assert code.startswith("000201") and "br.gov.bcb.pix" in code and "540525.90" in code
    assert code[-4:] == f"{crc16_ccitt(code[:-4].encode()):04X}"
    assert base64.b64decode(data["qr_code_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert data["ticket_url"].startswith(simulator.url)


def test_same_idempotency_key_returns_the_same_payment(simulator: ServerThread) -> None:
    sdk, body = sdk_for(simulator), pix_body()
    first = create(sdk, body)["response"]
    again = create(sdk, body)["response"]
    other = create(sdk, pix_body())["response"]
    assert again["id"] == first["id"] and other["id"] != first["id"]
    found = httpx.get(
        f"{simulator.url}/simulator/payments",
        params={"external_reference": body["external_reference"]},
    ).json()
    assert [p["id"] for p in found["results"]] == [first["id"]]


def test_api_requires_the_access_token(simulator: ServerThread) -> None:
    assert httpx.get(f"{simulator.url}/v1/payments/1").status_code == 401
    result = sdk_for(simulator, token="TEST-wrong").payment().get(1)
    assert result["status"] == 401
    assert result["response"]["error"] == "unauthorized"


def test_create_requires_an_idempotency_key(simulator: ServerThread) -> None:
    response = httpx.post(
        f"{simulator.url}/v1/payments",
        json=pix_body(),
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message", "error", "status", "cause"}


@pytest.mark.parametrize(
    "overrides",
    [
        {"transaction_amount": 0},
        {"transaction_amount": -1},
        {"payment_method_id": "visa"},
        {"payer": {}},
    ],
)
def test_invalid_payment_is_refused_with_a_mercadopago_error(
    simulator: ServerThread, overrides: dict
) -> None:
    result = create(sdk_for(simulator), pix_body(**overrides), key=str(uuid.uuid4()))
    assert result["status"] == 400
    assert result["response"]["status"] == 400 and result["response"]["cause"]


def test_get_unknown_payment_is_404(simulator: ServerThread) -> None:
    result = sdk_for(simulator).payment().get(42)
    assert result["status"] == 404 and result["response"]["error"] == "not_found"


def test_approve_sends_a_correctly_signed_webhook(
    simulator: ServerThread, receiver: WebhookReceiver
) -> None:
    sdk = sdk_for(simulator)
    payment = create(sdk, pix_body(receiver.url))["response"]
    outcome = control(simulator, payment["id"], "approve")
    assert outcome["webhook_status"] == 200
    assert (outcome["payment"]["status"], outcome["payment"]["status_detail"]) == (
        "approved",
        "accredited",
    )
    [delivery] = receiver.wait_for(1)
    data_id = str(payment["id"])
    assert delivery["query"] == {"data.id": data_id, "type": "payment"}
    assert delivery["body"]["data"] == {"id": data_id} and delivery["body"]["type"] == "payment"
    headers = delivery["headers"]
    ts = headers["x-signature"].split(",")[0].removeprefix("ts=")
    assert abs(int(ts) - time.time() * 1000) < 60_000  # milliseconds
    WebhookSignatureValidator.validate(
        headers["x-signature"], headers["x-request-id"], data_id, WEBHOOK_SECRET
    )
    verify_signature(
        headers["x-signature"],
        headers["x-request-id"],
        data_id,
        WEBHOOK_SECRET,
        now_ms=int(time.time() * 1000),
        tolerance_seconds=300,
    )
    assert sdk.payment().get(payment["id"])["response"]["date_approved"]


@pytest.mark.parametrize(
    ("action", "status", "detail"),
    [("reject", "rejected", "cc_rejected_other_reason"), ("expire", "cancelled", "expired")],
)
def test_reject_and_expire_change_the_status(
    simulator: ServerThread, action: str, status: str, detail: str
) -> None:
    payment = create(sdk_for(simulator), pix_body())["response"]
    changed = control(simulator, payment["id"], action)["payment"]
    assert (changed["status"], changed["status_detail"]) == (status, detail)


def test_pending_payment_expires_by_itself_and_notifies(
    simulator: ServerThread, receiver: WebhookReceiver
) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=0.3)).isoformat(timespec="milliseconds")
    sdk = sdk_for(simulator)
    payment = create(sdk, pix_body(receiver.url, date_of_expiration=soon))["response"]
    assert receiver.wait_for(1)
    fetched = sdk.payment().get(payment["id"])["response"]
    assert (fetched["status"], fetched["status_detail"]) == ("cancelled", "expired")


def test_cancel_through_the_sdk_only_for_pending_payments(simulator: ServerThread) -> None:
    sdk = sdk_for(simulator)
    pending = create(sdk, pix_body())["response"]
    cancelled = sdk.payment().update(pending["id"], {"status": "cancelled"})
    assert cancelled["status"] == 200
    assert cancelled["response"]["status_detail"] == "by_collector"
    approved = create(sdk, pix_body())["response"]
    control(simulator, approved["id"], "approve")
    assert sdk.payment().update(approved["id"], {"status": "cancelled"})["status"] == 400


def test_failed_webhook_is_retried(simulator: ServerThread, receiver: WebhookReceiver) -> None:
    receiver.statuses = [500]
    payment = create(sdk_for(simulator), pix_body(receiver.url))["response"]
    assert control(simulator, payment["id"], "approve")["webhook_status"] == 500
    deliveries = receiver.wait_for(2)
    assert len(deliveries) == 2
    assert deliveries[0]["headers"]["x-request-id"] != deliveries[1]["headers"]["x-request-id"]


def test_auto_approve_approves_new_payments() -> None:
    app = create_simulator_app(WEBHOOK_SECRET, auto_approve_after=0.1)
    with ServerThread(app) as server:
        sdk = sdk_for(server)
        payment = create(sdk, pix_body())["response"]
        deadline = time.monotonic() + 5
        while sdk.payment().get(payment["id"])["response"]["status"] != "approved":
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_control_without_notify_sends_no_webhook(
    simulator: ServerThread, receiver: WebhookReceiver
) -> None:
    payment = create(sdk_for(simulator), pix_body(receiver.url))["response"]
    response = httpx.post(
        f"{simulator.url}/simulator/payments/{payment['id']}/approve", params={"notify": "false"}
    )
    assert response.json()["webhook_status"] is None
    assert response.json()["payment"]["status"] == "approved"
    time.sleep(0.2)
    assert receiver.received == []


def test_duplicate_webhooks_mode_delivers_every_notification_twice(
    receiver: WebhookReceiver,
) -> None:
    app = create_simulator_app(WEBHOOK_SECRET, duplicate_webhooks=True)
    with ServerThread(app) as server:
        payment = create(sdk_for(server), pix_body(receiver.url))["response"]
        assert control(server, payment["id"], "approve")["webhook_status"] == 200
        deliveries = receiver.wait_for(2)
    assert [d["query"]["data.id"] for d in deliveries] == [str(payment["id"])] * 2
    assert len({d["headers"]["x-request-id"] for d in deliveries}) == 2


class CountingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Mercado Pago's API
    peers: ClassVar[list[tuple[str, int]]] = []

    def do_GET(self) -> None:
        self.peers.append(self.client_address)
        body = b'{"id": 1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_client_keeps_its_connection_alive_across_calls() -> None:
    """The SDK's own transport opens a connection (a TLS handshake in production) per call."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sdk = mercadopago.SDK(
            "t", http_client=BaseUrlHttpClient(f"http://127.0.0.1:{server.server_port}")
        )
        answers = [sdk.payment().get(1) for _ in range(3)]
    finally:
        server.shutdown()
    assert [a["response"] for a in answers] == [{"id": 1}] * 3
    assert len(CountingHandler.peers) == 3
    assert len(set(CountingHandler.peers)) == 1  # one client port: one connection
