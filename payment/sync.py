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
    PaymentExpired,
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
)
from payment.gateway import RemotePayment
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
        transition = next_transition(payment.status, observed)
        if transition is None:
            return
        updated = payment.apply(transition, remote.status_detail, ports.clock(), remote.approved_at)
        events = [outcome_event(updated, transition)] if transition.publish else []
        try:
            await ports.repository.save(updated, payment.version, events)
        except ConditionFailed:
            if attempt == 2:
                raise ServiceUnavailable("payment changed concurrently; retry") from None
            continue
        _log_transition(payment, updated, transition)
        return


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
    if transition.publish == "approved":
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
