"""Mercado Pago through its official SDK; only the base URL is configurable (the simulator).

The SDK is synchronous (requests): every call runs in a worker thread so the event loop
never blocks. One SDK instance per process.
"""

import asyncio
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import mercadopago
import requests
from mercadopago.config import RequestOptions
from mercadopago.config.defaults import DEFAULT_RETRY_ON
from mercadopago.errors.exceptions import MPServerError
from mercadopago.http.http_client import HttpClient
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from common.logging import get_logger

log = get_logger(__name__)
SDK_BASE_URL = "https://api.mercadopago.com"  # fixed inside the SDK


class BaseUrlHttpClient(HttpClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's HTTP transport, with two changes: its fixed API prefix is rewritten to
    `base_url`, and connections are kept alive.

    The SDK opens a new `requests.Session` per call: a new TCP connection and, against the
    real API, a new TLS handshake for every payment created or fetched. Here each worker
    thread keeps one session per retry policy (requests sessions are not thread-safe),
    with the same HTTPS retry adapter and the same response shape as the SDK's.
    """

    def __init__(self, base_url: str = SDK_BASE_URL) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self._local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        maxretries: int | None = None,
        retry_on: list[int] | None = None,
        backoff_factor: float | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if url.startswith(SDK_BASE_URL):
            url = self.base_url + url[len(SDK_BASE_URL) :]
        retry_statuses = tuple(DEFAULT_RETRY_ON if retry_on is None else retry_on)
        session = self._session(maxretries, retry_statuses, backoff_factor)
        answer = session.request(method, url, **kwargs)
        response: dict[str, Any] = {"status": answer.status_code, "response": None}
        if answer.status_code != 204 and answer.content:
            try:
                response["response"] = answer.json()
            except ValueError as exc:
                raise MPServerError(
                    answer.status_code,
                    {"message": "Invalid JSON in response body", "error": "invalid_response"},
                ) from exc
        return response

    def _session(
        self, maxretries: int | None, retry_on: tuple[int, ...], backoff_factor: float | None
    ) -> requests.Session:
        sessions: dict[tuple[Any, ...], requests.Session] = self._local.__dict__.setdefault(
            "sessions", {}
        )
        policy = (maxretries, retry_on, backoff_factor)
        if policy not in sessions:
            retries = Retry(
                total=maxretries, status_forcelist=retry_on, backoff_factor=backoff_factor or 0
            )
            session = requests.Session()
            session.mount("https://", HTTPAdapter(max_retries=retries))
            sessions[policy] = session
        return sessions[policy]


class MercadoPagoUnavailable(Exception):
    """Mercado Pago could not be reached or failed; the caller should retry later."""


class PaymentRefused(Exception):
    """Mercado Pago refused the request for good (validation): retrying cannot help."""


@dataclass(frozen=True)
class PixCharge:
    order_id: str
    amount: Decimal
    description: str
    payer_email: str
    payer_first_name: str | None
    payer_cpf: str | None
    notification_url: str
    expires_at: datetime


@dataclass(frozen=True)
class RemotePayment:
    """What Mercado Pago says about a payment (the only truth about its status)."""

    payment_id: str
    status: str
    status_detail: str | None
    external_reference: str | None
    amount: Decimal | None
    qr_code: str
    qr_code_base64: str
    ticket_url: str | None
    expires_at: datetime | None
    approved_at: datetime | None

    @classmethod
    def from_response(cls, body: dict[str, Any]) -> "RemotePayment":
        point = body.get("point_of_interaction") or {}
        data = point.get("transaction_data") or {}
        amount = body.get("transaction_amount")
        return cls(
            payment_id=str(body["id"]),
            status=str(body.get("status", "")),
            status_detail=body.get("status_detail"),
            external_reference=body.get("external_reference"),
            amount=Decimal(str(amount)).quantize(Decimal("0.01")) if amount is not None else None,
            qr_code=data.get("qr_code") or "",
            qr_code_base64=data.get("qr_code_base64") or "",
            ticket_url=data.get("ticket_url"),
            expires_at=_datetime(body.get("date_of_expiration")),
            approved_at=_datetime(body.get("date_approved")),
        )


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _iso_ms(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")  # e.g. 2026-11-23T12:30:00.000+00:00


def pix_request(charge: PixCharge) -> dict[str, Any]:
    payer: dict[str, Any] = {"email": charge.payer_email}
    if charge.payer_first_name:
        payer["first_name"] = charge.payer_first_name
    if charge.payer_cpf:
        payer["identification"] = {"type": "CPF", "number": charge.payer_cpf}
    return {
        "transaction_amount": float(charge.amount),  # the API takes a JSON number
        "description": charge.description,
        "payment_method_id": "pix",
        "payer": payer,
        "external_reference": charge.order_id,
        "notification_url": charge.notification_url,
        "date_of_expiration": _iso_ms(charge.expires_at),
    }


class MercadoPagoGateway:
    def __init__(
        self, access_token: str, base_url: str = SDK_BASE_URL, timeout_seconds: float = 10.0
    ) -> None:
        self._timeout = float(timeout_seconds)
        self._sdk = mercadopago.SDK(
            access_token,
            http_client=BaseUrlHttpClient(base_url),
            request_options=self._options(),
        )

    def _options(self, headers: dict[str, str] | None = None) -> RequestOptions:
        # One attempt with a short timeout: the SDK's own retries (~40 s) would outlast
        # every caller; the reconciler retries on its own schedule instead.
        return RequestOptions(
            connection_timeout=self._timeout, max_retries=0, custom_headers=headers or {}
        )

    async def create_pix(self, charge: PixCharge) -> RemotePayment:
        """Idempotent per order: a retry after a crash returns the same payment."""
        options = self._options({"x-idempotency-key": charge.order_id})
        body = pix_request(charge)

        def create() -> Any:
            with warnings.catch_warnings():
                # We still send notification_url (the API and the simulator honour it).
                warnings.filterwarnings(
                    "ignore", "notification_url is deprecated", DeprecationWarning
                )
                return self._sdk.payment().create(body, options)

        result = await self._call(create, "create")
        if result["status"] in (400, 422):
            raise PaymentRefused(_describe(result))
        return self._payment(result, "create")

    async def get(self, payment_id: str) -> RemotePayment | None:
        result = await self._call(lambda: self._sdk.payment().get(payment_id), "get")
        if result["status"] == 404:
            return None
        return self._payment(result, "get")

    async def cancel(self, payment_id: str) -> RemotePayment | None:
        """Cancel a pending payment; when it can no longer be cancelled (e.g. approved
        meanwhile) return its current state instead."""
        result = await self._call(
            lambda: self._sdk.payment().update(payment_id, {"status": "cancelled"}), "cancel"
        )
        if result["status"] == 400:
            log.info(
                "mercado pago refused the cancellation: %s",
                _describe(result),
                extra={"payment_id": payment_id},
            )
            return await self.get(payment_id)
        if result["status"] == 404:
            return None
        return self._payment(result, "cancel")

    async def refund(self, payment_id: str) -> RemotePayment | None:
        """Full refund, idempotent per payment (a retry never refunds twice); returns the
        payment as it stands after, None when Mercado Pago refuses (not refundable)."""
        options = self._options({"x-idempotency-key": f"refund-{payment_id}"})
        result = await self._call(
            lambda: self._sdk.refund().create(payment_id, None, options), "refund"
        )
        if result["status"] in (400, 404):
            log.warning(
                "mercado pago refused the refund: %s",
                _describe(result),
                extra={"payment_id": payment_id, "ops_action": "refund"},
            )
            return None
        if not 200 <= result["status"] < 300:
            raise MercadoPagoUnavailable(f"mercado pago refund: {_describe(result)}")
        return await self.get(payment_id)

    async def _call(self, call: Any, operation: str) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await asyncio.to_thread(call)
        except Exception as exc:  # connection errors, timeouts, unparsable bodies
            raise MercadoPagoUnavailable(f"mercado pago {operation}: {exc}") from exc
        return result

    @staticmethod
    def _payment(result: dict[str, Any], operation: str) -> RemotePayment:
        if not 200 <= result["status"] < 300 or not isinstance(result.get("response"), dict):
            raise MercadoPagoUnavailable(f"mercado pago {operation}: {_describe(result)}")
        return RemotePayment.from_response(result["response"])


def _describe(result: dict[str, Any]) -> str:
    body = result.get("response")
    message = body.get("message") if isinstance(body, dict) else None
    return f"HTTP {result.get('status')}: {message or 'no message'}"
