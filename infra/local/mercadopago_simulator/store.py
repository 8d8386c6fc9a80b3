"""In-memory Mercado Pago payments (the simulator stands in for an external system).

Payments are kept in Mercado Pago's JSON shape. Ids are incrementing integers seeded from
the clock, so a restarted simulator never reuses an id a service may still hold.
"""

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from infra.local.mercadopago_simulator.pix import br_code, qr_png_base64

BRT = timezone(timedelta(hours=-3))  # Mercado Pago Brazil answers in local time
DEFAULT_EXPIRATION = timedelta(minutes=30)
PIX_KEY = "8f6c1d2e-3b4a-4c5d-9e8f-7a6b5c4d3e2f"

# Control actions: (status, status_detail) Mercado Pago reports after each.
ACTIONS = {
    "approve": ("approved", "accredited"),
    "reject": ("rejected", "cc_rejected_other_reason"),
    "expire": ("cancelled", "expired"),
    "cancel": ("cancelled", "by_collector"),
    "refund": ("refunded", "refunded"),
    "chargeback": ("charged_back", "settled"),
}


def mp_time(moment: datetime) -> str:
    return moment.astimezone(BRT).isoformat(timespec="milliseconds")


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("date_of_expiration needs a UTC offset")
    return moment


class PaymentStore:
    def __init__(self) -> None:
        self.payments: dict[int, dict[str, Any]] = {}
        self._by_idempotency_key: dict[str, int] = {}
        self._refunds_by_key: dict[str, dict[str, Any]] = {}
        # 12 digits: an 11-digit id would be masked as a CPF by the JSON log formatter.
        self._next_id = int(time.time() * 100)

    def by_key(self, idempotency_key: str) -> dict[str, Any] | None:
        payment_id = self._by_idempotency_key.get(idempotency_key)
        return self.payments[payment_id] if payment_id is not None else None

    def find(self, external_reference: str | None) -> list[dict[str, Any]]:
        return [
            p
            for p in self.payments.values()
            if external_reference is None or p.get("external_reference") == external_reference
        ]

    def create(
        self,
        body: dict[str, Any],
        idempotency_key: str,
        ticket_base: str,
        expires_at: datetime | None,
    ) -> dict[str, Any]:
        self._next_id += 1
        payment_id = self._next_id
        now = datetime.now(UTC)
        amount = Decimal(str(body["transaction_amount"])).quantize(Decimal("0.01"))
        qr_code = br_code(PIX_KEY, amount, f"MP{payment_id}")
        payment = {
            "id": payment_id,
            "status": "pending",
            "status_detail": "pending_waiting_transfer",
            "date_created": mp_time(now),
            "date_last_updated": mp_time(now),
            "date_approved": None,
            "money_release_date": None,
            "date_of_expiration": mp_time(expires_at or now + DEFAULT_EXPIRATION),
            "operation_type": "regular_payment",
            "payment_method_id": "pix",
            "payment_type_id": "bank_transfer",
            "currency_id": "BRL",
            "live_mode": False,
            "description": body.get("description"),
            "external_reference": body.get("external_reference"),
            "notification_url": body.get("notification_url"),
            "transaction_amount": float(amount),
            "transaction_details": {
                "total_paid_amount": float(amount),
                "net_received_amount": 0,
                "transaction_id": None,
            },
            "payer": {"id": None, "type": None, **(body.get("payer") or {})},
            "metadata": body.get("metadata") or {},
            "point_of_interaction": {
                "type": "OPENPLATFORM",
                "transaction_data": {
                    "qr_code": qr_code,
                    "qr_code_base64": qr_png_base64(qr_code),
                    "ticket_url": f"{ticket_base}/simulator/payments/{payment_id}/ticket",
                    "transaction_id": str(uuid.uuid4()),
                },
            },
        }
        self.payments[payment_id] = payment
        self._by_idempotency_key[idempotency_key] = payment_id
        return payment

    def refund(self, payment: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """A full refund of an approved payment; the same key answers the same refund."""
        if idempotency_key in self._refunds_by_key:
            return self._refunds_by_key[idempotency_key]
        self._next_id += 1
        refund = {
            "id": self._next_id,
            "payment_id": payment["id"],
            "amount": payment["transaction_amount"],
            "status": "approved",
            "source": {"type": "collector"},
            "date_created": mp_time(datetime.now(UTC)),
        }
        self.change(payment, "refund")
        payment.setdefault("refunds", []).append(refund)
        payment["transaction_amount_refunded"] = payment["transaction_amount"]
        self._refunds_by_key[idempotency_key] = refund
        return refund

    def change(
        self, payment: dict[str, Any], action: str, amount: float | None = None
    ) -> dict[str, Any]:
        status, detail = ACTIONS[action]
        now = mp_time(datetime.now(UTC))
        payment.update(status=status, status_detail=detail, date_last_updated=now)
        if action == "approve":
            if amount is not None:  # the payer paid another amount (a test of our check)
                payment["transaction_amount"] = amount
                payment["transaction_details"]["total_paid_amount"] = amount
            payment["date_approved"] = now
            payment["transaction_details"]["net_received_amount"] = payment["transaction_amount"]
        return payment

    def due_for_expiry(self, now: datetime) -> list[dict[str, Any]]:
        return [
            p
            for p in self.payments.values()
            if p["status"] == "pending" and parse_time(p["date_of_expiration"]) <= now
        ]
