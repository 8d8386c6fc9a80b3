"""Order state machine and pricing — pure, no I/O."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from common.money import to_money

# Lines one order may carry: a totem basket, not a catering order; the API refuses more (422).
MAX_LINES_PER_ORDER = 20


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    IN_PREPARATION = "IN_PREPARATION"
    READY = "READY"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


# Forward-only ranks of the happy path; CANCELLED is a side exit from AWAITING_PAYMENT.
_RANK = {
    OrderStatus.AWAITING_PAYMENT: 0,
    OrderStatus.PAID: 1,
    OrderStatus.IN_PREPARATION: 2,
    OrderStatus.READY: 3,
    OrderStatus.DELIVERED: 4,
}
ACTIVE_STATUSES = (
    OrderStatus.READY,
    OrderStatus.IN_PREPARATION,
    OrderStatus.PAID,
    OrderStatus.AWAITING_PAYMENT,
)
KITCHEN_EVENTS = {
    "production-started": OrderStatus.IN_PREPARATION,
    "production-completed": OrderStatus.READY,
    "production-delivered": OrderStatus.DELIVERED,
}


class Outcome(StrEnum):
    MOVE = "move"
    IGNORE = "ignore"  # stale, duplicate or out of order: acknowledged, no effect
    LATE_APPROVAL = "late_approval"  # paid after cancellation: must be refunded
    REFUSE = "refuse"  # a request the order's state forbids (409)


CUSTOMER_CANCELLED = "customer_cancelled"
AMOUNT_MISMATCH = "amount_mismatch"  # payment refunded an approval of the wrong amount


def on_cancel_request(current: OrderStatus) -> Outcome:
    """Only an unpaid order can be cancelled; cancelling a cancelled one changes nothing."""
    if current is OrderStatus.AWAITING_PAYMENT:
        return Outcome.MOVE
    if current is OrderStatus.CANCELLED:
        return Outcome.IGNORE
    return Outcome.REFUSE


def on_payment_approved(current: OrderStatus) -> Outcome:
    if current is OrderStatus.AWAITING_PAYMENT:
        return Outcome.MOVE
    if current is OrderStatus.CANCELLED:
        return Outcome.LATE_APPROVAL
    return Outcome.IGNORE


def on_payment_failed(current: OrderStatus) -> Outcome:
    """Rejected or expired payment: compensate by cancelling, unless already past it."""
    return Outcome.MOVE if current is OrderStatus.AWAITING_PAYMENT else Outcome.IGNORE


def on_payment_refunded(current: OrderStatus, reason: str) -> Outcome:
    """A wrong amount is never released to the kitchen: an order not yet in it is cancelled.
    Any other refund (late approval, at the provider) is recorded and moves nothing."""
    unreleased = current in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID)
    return Outcome.MOVE if reason == AMOUNT_MISMATCH and unreleased else Outcome.IGNORE


def on_kitchen_event(current: OrderStatus, target: OrderStatus) -> Outcome:
    """Kitchen events only move a paid order forward; one arriving late never moves it back.

    A `completed` that overtakes its `started` (standard SQS does not keep order) moves the
    order straight to READY, and the late `started` is then ignored.
    """
    if current in (OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED):
        return Outcome.IGNORE
    return Outcome.MOVE if _RANK[target] > _RANK[current] else Outcome.IGNORE


@dataclass(frozen=True)
class RequestedItem:
    product_id: UUID
    quantity: int
    notes: str | None = None


@dataclass(frozen=True)
class CatalogProduct:
    id: UUID
    name: str
    price: Decimal


@dataclass(frozen=True)
class OrderLine:
    product_id: UUID
    name: str
    unit_price: Decimal
    quantity: int
    notes: str | None

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity


class UnknownProducts(Exception):
    def __init__(self, product_ids: list[UUID]) -> None:
        super().__init__(f"unknown or unavailable products: {product_ids}")
        self.product_ids = product_ids


def price_order(
    items: list[RequestedItem], products: dict[UUID, CatalogProduct]
) -> tuple[list[OrderLine], Decimal]:
    """Snapshot name and unit price from the catalog into the order lines."""
    missing = sorted({i.product_id for i in items if i.product_id not in products}, key=str)
    if missing:
        raise UnknownProducts(missing)
    lines = [
        OrderLine(
            product_id=item.product_id,
            name=products[item.product_id].name,
            unit_price=to_money(products[item.product_id].price),
            quantity=item.quantity,
            notes=item.notes,
        )
        for item in items
    ]
    return lines, to_money(sum((line.subtotal for line in lines), Decimal("0")))


def display_number(sequence: int) -> str:
    """Short daily number shown to people: A-001 … A-999, then B-001 …"""
    block, number = divmod(sequence - 1, 999)
    return f"{chr(ord('A') + block % 26)}-{number + 1:03d}"


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """SHA-256 of a request body in canonical form (sorted keys, no spaces), so the same
    order sent twice matches whatever the client's key order or whitespace."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def is_same_request(stored_fingerprint: str | None, fingerprint: str) -> bool:
    """Orders stored before fingerprints existed (None) cannot be told apart: they match."""
    return stored_fingerprint is None or stored_fingerprint == fingerprint


def is_valid_cpf(digits: str) -> bool:
    """11 digits whose two check digits match (auth's rule; services share no code but
    `common`). Eleven equal digits pass the checksum yet are never issued."""
    if len(digits) != 11 or not digits.isdigit() or digits == digits[0] * 11:
        return False
    for size in (9, 10):
        total = sum(int(d) * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        if int(digits[size]) != total * 10 % 11 % 10:
            return False
    return True
