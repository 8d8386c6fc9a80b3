"""Bring a stored payment in line with what Mercado Pago reports, and tell the order.

The update and its event are one conditional transaction on the version read, so
concurrent duplicate notifications produce exactly one event.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from common.dynamo import ConditionFailed
from common.errors import NotFound, ServiceUnavailable
from common.events import (
    Envelope,
    Event,
    PaymentApproved,
    PaymentChargedBack,
    PaymentExpired,
    PaymentRefunded,
    PaymentRejected,
    new_envelope,
)
from common.logging import get_logger, set_correlation_id
from payment.domain import (
    Payment,
    PaymentStatus,
    Transition,
    UnknownMercadoPagoStatus,
    map_mercadopago_status,
    next_transition,
    transition_after_refund,
)
from payment.gateway import MercadoPagoUnavailable, RemotePayment
from payment.ports import PaymentPorts

log = get_logger(__name__)
SOURCE = "payment-service"


async def apply_remote_state(ports: PaymentPorts, remote: RemotePayment) -> None:
    """Move our state machine to Mercado Pago's; on a concurrent change, re-evaluate once."""
    observed = observed_status(remote, ports.clock())
    if observed is None:
        return
    for attempt in (1, 2):
        payment = await ports.repository.get(remote.payment_id)
        if payment is None or remote.external_reference not in (None, payment.order_id):
            raise NotFound("unknown payment")
        if payment.correlation_id:  # the webhook's log lines join the order's path
            set_correlation_id(payment.correlation_id)
        matches = remote.amount is None or remote.amount == payment.amount
        transition = next_transition(payment.status, observed, matches, payment.refund_reason)
        if transition is None:
            return
        updated = payment.apply(
            transition, remote.status_detail, ports.clock(), remote.approved_at, remote.amount
        )
        events = [outcome_event(updated, transition)] if transition.publish else []
        try:
            await ports.repository.save(updated, payment.version, events)
        except ConditionFailed:
            if attempt == 2:
                raise ServiceUnavailable("payment changed concurrently; retry") from None
            continue
        _log_transition(payment, updated, transition)
        if updated.needs_refund:
            await refund_quietly(ports, updated)
        return


async def refund_quietly(ports: PaymentPorts, payment: Payment) -> None:
    """Refund now if Mercado Pago answers; otherwise the reconciler retries (check_at)."""
    try:
        await settle_refund(ports, payment)
    except (MercadoPagoUnavailable, ConditionFailed, ServiceUnavailable):
        log.warning("refund deferred to the reconciler", extra={"payment_id": payment.payment_id})


async def settle_refund(ports: PaymentPorts, payment: Payment) -> None:
    """Give the money back through the refunds API (idempotent per payment) and tell the
    order with payment-refunded and the recorded reason."""
    remote = await ports.gateway.refund(payment.payment_id)
    if remote is None or remote.status != "refunded":
        log.error(
            "mercado pago did not refund the payment; will retry",
            extra={"payment_id": payment.payment_id, "needs_refund": True},
        )
        return
    transition = transition_after_refund(payment.refund_reason)
    updated = payment.apply(transition, remote.status_detail, ports.clock())
    await ports.repository.save(updated, payment.version, [outcome_event(updated, transition)])
    log.info(
        "payment refunded",
        extra={"payment_id": payment.payment_id, "refund_reason": updated.refund_reason},
    )


def observed_status(remote: RemotePayment, now: datetime) -> PaymentStatus | None:
    try:
        return map_mercadopago_status(remote.status, remote.status_detail, remote.expires_at, now)
    except UnknownMercadoPagoStatus:
        log.warning(
            "unknown mercado pago status %r", remote.status, extra={"payment_id": remote.payment_id}
        )
        return None


def outcome_event(payment: Payment, transition: Transition) -> Envelope[Any]:
    order_id, reason = UUID(payment.order_id), payment.status_detail or payment.status.lower()
    event: Event
    paid = payment.paid_amount if payment.paid_amount is not None else payment.amount
    if transition.publish == "refunded":
        event = PaymentRefunded(
            order_id=order_id,
            payment_id=payment.payment_id,
            amount=paid,
            reason=payment.refund_reason or "refunded_at_provider",
        )
    elif transition.publish == "charged_back":
        event = PaymentChargedBack(order_id=order_id, payment_id=payment.payment_id, amount=paid)
    elif transition.publish == "approved":
        event = PaymentApproved(
            order_id=order_id,
            payment_id=payment.payment_id,
            amount=payment.amount,
            approved_at=payment.approved_at or payment.updated_at,
        )
    elif transition.publish == "expired":
        event = PaymentExpired(order_id=order_id, payment_id=payment.payment_id, reason=reason)
    else:
        event = PaymentRejected(order_id=order_id, payment_id=payment.payment_id, reason=reason)
    return envelope_for(payment, event)


def envelope_for(
    payment: Payment, event: Event, cause: Envelope[Any] | None = None
) -> Envelope[Any]:
    """Our events continue the correlation of the order's payment request."""
    correlation = UUID(payment.correlation_id) if payment.correlation_id else None
    return new_envelope(
        event,
        source=SOURCE,
        correlation_id=correlation,
        causation_id=cause.meta.event_id if cause else None,
    )


def _log_transition(before: Payment, after: Payment, transition: Transition) -> None:
    context = {
        "payment_id": after.payment_id,
        "order_id": after.order_id,
        "from_status": before.status.value,
        "to_status": after.status.value,
    }
    if transition.late_approval:
        # Ops must refund: the customer paid for an order that had already failed.
        log.error(
            "late approval: payment approved after it was %s; refund needed",
            before.status.value,
            extra=context | {"needs_refund": True},
        )
    else:
        log.info("payment status changed", extra=context)
