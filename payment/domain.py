"""Payment state machine: Mercado Pago statuses mapped onto a monotonic lifecycle.

PENDING is the only non-final state. A final state never goes back to PENDING; an approval
that arrives after the payment already failed (expired, rejected, cancelled) is a late
approval: it is refunded and announced as `payment-refunded`, never as `payment-approved`.
So is an approval of another amount than the order's. A refund or charge-back made at
Mercado Pago after approval is announced too.
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
    CHARGED_BACK = "CHARGED_BACK"


FAILED = frozenset({PaymentStatus.REJECTED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED})
Outcome = Literal["approved", "rejected", "expired", "refunded", "charged_back"]
# Why money went back (payment-refunded.reason).
LATE_APPROVAL = "late_approval"
AMOUNT_MISMATCH = "amount_mismatch"
REFUNDED_AT_PROVIDER = "refunded_at_provider"

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
    "charged_back": PaymentStatus.CHARGED_BACK,
}
# What the order hears when a pending payment reaches a final state. A cancellation is a
# rejection for the order; a refund of a payment we never saw approved is one too.
_OUTCOME: dict[PaymentStatus, Outcome] = {
    PaymentStatus.APPROVED: "approved",
    PaymentStatus.REJECTED: "rejected",
    PaymentStatus.CANCELLED: "rejected",
    PaymentStatus.REFUNDED: "rejected",
    PaymentStatus.CHARGED_BACK: "rejected",
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
    refund_reason: str | None = None  # None: unchanged


def next_transition(
    current: PaymentStatus,
    observed: PaymentStatus,
    amount_matches: bool = True,
    refund_reason: str | None = None,
) -> Transition | None:
    """How an observed Mercado Pago state moves ours; None when nothing changes.
    `refund_reason` is the reason already recorded for a refund we asked for."""
    if observed == current or observed is PaymentStatus.PENDING:
        return None
    if current is PaymentStatus.PENDING:
        if observed is PaymentStatus.APPROVED and not amount_matches:
            # Never released to the kitchen: refunded, then announced as payment-refunded.
            return Transition(observed, needs_refund=True, refund_reason=AMOUNT_MISMATCH)
        return Transition(observed, publish=_OUTCOME[observed])
    if observed is PaymentStatus.APPROVED and current in FAILED:
        return Transition(
            current, late_approval=True, needs_refund=True, refund_reason=LATE_APPROVAL
        )
    if observed is PaymentStatus.REFUNDED and current is not PaymentStatus.CHARGED_BACK:
        return Transition(
            PaymentStatus.REFUNDED,
            publish="refunded",
            needs_refund=False,
            refund_reason=refund_reason or REFUNDED_AT_PROVIDER,
        )
    if observed is PaymentStatus.CHARGED_BACK and current is PaymentStatus.APPROVED:
        return Transition(PaymentStatus.CHARGED_BACK, publish="charged_back", needs_refund=False)
    return None  # a final state never moves sideways or back


def transition_after_refund(reason: str | None) -> Transition:
    """Mercado Pago accepted our refund."""
    return Transition(
        PaymentStatus.REFUNDED,
        publish="refunded",
        needs_refund=False,
        refund_reason=reason or LATE_APPROVAL,
    )


def transition_for_cancelled_order(current: PaymentStatus) -> Transition | None:
    """The order was cancelled: a pending payment is cancelled without telling the order
    (it already knows); money taken for a cancelled order must go back."""
    if current is PaymentStatus.PENDING:
        return Transition(PaymentStatus.CANCELLED)
    if current is PaymentStatus.APPROVED:
        return Transition(PaymentStatus.APPROVED, needs_refund=True, refund_reason=LATE_APPROVAL)
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
    refund_reason: str | None = None
    paid_amount: Decimal | None = None  # what Mercado Pago says was paid, once approved
    check_at: datetime | None = None  # when the reconciler asks Mercado Pago; None: never

    def apply(
        self,
        transition: Transition,
        status_detail: str | None,
        now: datetime,
        approved_at: datetime | None = None,
        paid_amount: Decimal | None = None,
    ) -> "Payment":
        approved = transition.status is PaymentStatus.APPROVED or transition.late_approval
        needs_refund = (
            self.needs_refund if transition.needs_refund is None else transition.needs_refund
        )
        return replace(
            self,
            status=transition.status,
            status_detail=status_detail if status_detail is not None else self.status_detail,
            late_approval=self.late_approval or transition.late_approval,
            needs_refund=needs_refund,
            refund_reason=transition.refund_reason or self.refund_reason,
            paid_amount=paid_amount if paid_amount is not None else self.paid_amount,
            check_at=next_check(transition.status, needs_refund, self.check_at, now),
            approved_at=(approved_at or now)
            if approved and not self.approved_at
            else self.approved_at,
            updated_at=now,
            version=self.version + 1,
        )


def next_check(
    status: PaymentStatus, needs_refund: bool, current: datetime | None, now: datetime
) -> datetime | None:
    """A refund to make is due now; a pending payment keeps its schedule; else none."""
    if needs_refund:
        return now
    return current if status is PaymentStatus.PENDING else None


def owner_can_see(payment: Payment, subject: str, is_staff: bool) -> bool:
    return is_staff or payment.customer_id == subject
