"""Real HTTP servers for the payment tests: the Mercado Pago simulator (and, where a test
needs it, the payment app or a webhook receiver) served by uvicorn in a background thread,
each on a free port. The SDK is synchronous, so a server on the test's own loop would
deadlock when a test calls the SDK directly."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from infra.local.mercadopago_simulator import create_simulator_app
from infra.local.processes import free_port

WEBHOOK_SECRET = "test-webhook-secret"
ACCESS_TOKEN = "TEST-payment-tests-token"


class ServerThread:
    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class WebhookReceiver:
    """Records webhook deliveries; answers with `statuses` in turn (then 200)."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhook")
        async def webhook(request: Request) -> JSONResponse:
            self.received.append(
                {
                    "query": dict(request.query_params),
                    "headers": dict(request.headers),
                    "body": await request.json() if await request.body() else None,
                }
            )
            status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({"status": "ok"}, status_code=status)

        return app

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@pytest.fixture(scope="module")
def simulator() -> Iterator[ServerThread]:
    app = create_simulator_app(
        WEBHOOK_SECRET, ACCESS_TOKEN, expiry_check_seconds=0.1, webhook_retry_delays=(0.2, 0.5)
    )
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    with ServerThread(receiver.app()) as server:
        receiver.url = f"{server.url}/webhook"
        yield receiver
