"""Payment state machine: Mercado Pago statuses mapped onto a monotonic lifecycle.

PENDING is the only non-final state. A final state never goes back to PENDING; an approval
that arrives after the payment already failed (expired, rejected, cancelled) is recorded as
a late approval that needs a refund and is never announced as `payment-approved`.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"


FAILED = frozenset({PaymentStatus.REJECTED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED})
Outcome = Literal["approved", "rejected", "expired"]

# Mercado Pago status -> ours. pending/in_process/in_mediation/authorized are not final
# (pending is not a failure); "cancelled" depends on why, see map_mercadopago_status.
_MERCADOPAGO_STATUS = {
    "pending": PaymentStatus.PENDING,
    "in_process": PaymentStatus.PENDING,
    "in_mediation": PaymentStatus.PENDING,
    "authorized": PaymentStatus.PENDING,
    "approved": PaymentStatus.APPROVED,
    "rejected": PaymentStatus.REJECTED,
    "refunded": PaymentStatus.REFUNDED,
    "charged_back": PaymentStatus.REFUNDED,
}
# What the order hears when a pending payment reaches a final state. A cancellation is a
# rejection for the order; a refund of a payment we never saw approved is one too.
_OUTCOME: dict[PaymentStatus, Outcome] = {
    PaymentStatus.APPROVED: "approved",
    PaymentStatus.REJECTED: "rejected",
    PaymentStatus.CANCELLED: "rejected",
    PaymentStatus.REFUNDED: "rejected",
    PaymentStatus.EXPIRED: "expired",
}


class UnknownMercadoPagoStatus(ValueError):
    """Mercado Pago reported a status this service does not know."""


def map_mercadopago_status(
    status: str, status_detail: str | None, date_of_expiration: datetime | None, now: datetime
) -> PaymentStatus:
    if status == "cancelled":
        expired = status_detail == "expired" or (
            date_of_expiration is not None and date_of_expiration <= now
        )
        return PaymentStatus.EXPIRED if expired else PaymentStatus.CANCELLED
    try:
        return _MERCADOPAGO_STATUS[status]
    except KeyError:
        raise UnknownMercadoPagoStatus(status) from None


@dataclass(frozen=True)
class Transition:
    status: PaymentStatus
    publish: Outcome | None = None  # the event the order must hear, if any
    late_approval: bool = False
    needs_refund: bool | None = None  # None: unchanged


def next_transition(current: PaymentStatus, observed: PaymentStatus) -> Transition | None:
    """How an observed Mercado Pago state moves ours; None when nothing changes."""
    if observed == current or observed is PaymentStatus.PENDING:
        return None
    if current is PaymentStatus.PENDING:
        return Transition(observed, publish=_OUTCOME[observed])
    if observed is PaymentStatus.APPROVED and current in FAILED:
        return Transition(current, late_approval=True, needs_refund=True)
    if observed is PaymentStatus.REFUNDED:
        return Transition(PaymentStatus.REFUNDED, needs_refund=False)
    return None  # a final state never moves sideways or back


def transition_for_cancelled_order(current: PaymentStatus) -> Transition | None:
    """The order was cancelled: a pending payment is cancelled without telling the order
    (it already knows); money taken for a cancelled order must go back."""
    if current is PaymentStatus.PENDING:
        return Transition(PaymentStatus.CANCELLED)
    if current is PaymentStatus.APPROVED:
        return Transition(PaymentStatus.APPROVED, needs_refund=True)
    return None


@dataclass(frozen=True)
class Payment:
    payment_id: str  # Mercado Pago's id
    order_id: str
    customer_id: str
    amount: Decimal
    status: PaymentStatus
    status_detail: str | None
    qr_code: str
    qr_code_base64: str
    ticket_url: str | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int = 1
    approved_at: datetime | None = None
    late_approval: bool = False
    needs_refund: bool = False
    correlation_id: str | None = None  # of the order's request, carried into our events

    def apply(
        self,
        transition: Transition,
        status_detail: str | None,
        now: datetime,
        approved_at: datetime | None = None,
    ) -> "Payment":
        approved = transition.status is PaymentStatus.APPROVED or transition.late_approval
        return replace(
            self,
            status=transition.status,
            status_detail=status_detail if status_detail is not None else self.status_detail,
            late_approval=self.late_approval or transition.late_approval,
            needs_refund=(
                self.needs_refund if transition.needs_refund is None else transition.needs_refund
            ),
            approved_at=(approved_at or now)
            if approved and not self.approved_at
            else self.approved_at,
            updated_at=now,
            version=self.version + 1,
        )


def owner_can_see(payment: Payment, subject: str, is_staff: bool) -> bool:
    return is_staff or payment.customer_id == subject
