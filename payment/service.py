"""Payment use cases: one function per event or request; ports come in `PaymentPorts`."""

import asyncio
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from common.dynamo import ConditionFailed, DuplicateEvent
from common.errors import Forbidden, NotFound, Unauthorized
from common.events import (
    Envelope,
    OrderCancelled,
    OrderPaymentRequested,
    PaymentCreated,
    PaymentCreationFailed,
    new_envelope,
)
from common.logging import get_logger
from common.security import Principal
from payment.domain import (
    Payment,
    PaymentStatus,
    next_transition,
    owner_can_see,
    transition_for_cancelled_order,
)
from payment.gateway import MercadoPagoUnavailable, PaymentRefused, PixCharge, RemotePayment
from payment.ports import PaymentPorts
from payment.repository import CREATE_CANCELLED_CHECK, PaymentRepository, PendingCreation
from payment.signature import InvalidSignature, verify_signature
from payment.sync import (
    SOURCE,
    apply_remote_state,
    envelope_for,
    observed_status,
    refund_quietly,
)

log = get_logger(__name__)


async def request_payment(ports: PaymentPorts, envelope: Envelope[OrderPaymentRequested]) -> None:
    event, repository = envelope.payload, ports.repository
    order_id = str(event.order_id)
    # Both reads at once: one round trip of waiting instead of two (docs/performance.md).
    known, cancelled = await asyncio.gather(
        repository.find_by_order(order_id), repository.order_was_cancelled(order_id)
    )
    if known is not None or cancelled:
        await _record(repository, envelope)  # a redelivery, or nothing left to charge
        return
    now = ports.clock()
    try:
        remote = await ports.gateway.create_pix(_charge(ports, event, now))
    except MercadoPagoUnavailable as exc:
        # Durably ours before the message is acknowledged; the reconciler retries.
        log.warning("mercado pago unavailable; creation pending: %s", exc)
        pending = PendingCreation(envelope, now, 1, now + ports.creation_backoff_base)
        with suppress(DuplicateEvent):
            await repository.record_pending_creation(pending)
        return
    await _store_created(ports, envelope, remote, from_pending=False)


async def retry_creation(ports: PaymentPorts, pending: PendingCreation) -> None:
    """A pending creation is due: try Mercado Pago again (same idempotency key, expiry
    computed now), back off on failure, give up past the horizon with a reason."""
    repository, now = ports.repository, ports.clock()
    if await repository.order_was_cancelled(pending.order_id):
        await repository.drop_creation(pending.order_id)
        return
    try:
        remote = await ports.gateway.create_pix(_charge(ports, pending.request.payload, now))
    except PaymentRefused as exc:
        await _give_up(ports, pending, f"mercado pago refused the payment: {exc}"[:200])
        return
    except MercadoPagoUnavailable:
        if now - pending.first_tried_at >= ports.creation_horizon:
            waited = int((now - pending.first_tried_at).total_seconds())
            await _give_up(ports, pending, f"mercado pago unavailable for {waited} s")
            return
        delay = min(
            ports.creation_backoff_cap, ports.creation_backoff_base * 2 ** min(pending.attempts, 10)
        )
        retry = replace(pending, attempts=pending.attempts + 1, check_at=now + delay)
        with suppress(Exception):  # gone meanwhile (created or given up): nothing to retry
            await repository.reschedule_creation(retry)
        return
    await _store_created(ports, pending.request, remote, from_pending=True)


async def _give_up(ports: PaymentPorts, pending: PendingCreation, reason: str) -> None:
    failed = PaymentCreationFailed(order_id=pending.request.payload.order_id, reason=reason)
    envelope = new_envelope(
        failed,
        source=SOURCE,
        correlation_id=pending.request.meta.correlation_id,
        causation_id=pending.request.meta.event_id,
    )
    with suppress(ConditionFailed):  # another worker gave up first
        await ports.repository.give_up_creation(pending.order_id, envelope)
        log.error("payment creation given up: %s", reason, extra={"order_id": pending.order_id})


async def _store_created(
    ports: PaymentPorts,
    envelope: Envelope[OrderPaymentRequested],
    remote: RemotePayment,
    *,
    from_pending: bool,
) -> None:
    event, repository, now = envelope.payload, ports.repository, ports.clock()
    order_id = str(event.order_id)
    payment = Payment(
        payment_id=remote.payment_id,
        order_id=order_id,
        customer_id=event.customer.id,
        amount=event.amount,
        status=PaymentStatus.PENDING,
        status_detail=remote.status_detail,
        qr_code=remote.qr_code,
        qr_code_base64=remote.qr_code_base64,
        ticket_url=remote.ticket_url,
        expires_at=remote.expires_at or now + ports.pix_expiration,
        created_at=now,
        updated_at=now,
        correlation_id=str(envelope.meta.correlation_id),
        check_at=now + ports.pending_check_after,  # the reconciler's first look
    )
    created = PaymentCreated(
        order_id=event.order_id,
        payment_id=payment.payment_id,
        amount=payment.amount,
        qr_code=payment.qr_code,
        qr_code_base64=payment.qr_code_base64,
        expires_at=payment.expires_at,
    )
    try:
        await repository.create(
            payment, envelope, envelope_for(payment, created, envelope), from_pending=from_pending
        )
    except DuplicateEvent:
        return
    except ConditionFailed as exc:
        if exc.index == CREATE_CANCELLED_CHECK:
            await _cancel_orphan(ports, remote.payment_id, envelope, from_pending)
        elif from_pending:  # stored by an earlier attempt: the pending record is stale
            await repository.drop_creation(order_id)
        return
    log.info("payment created", extra={"payment_id": payment.payment_id, "order_id": order_id})
    if remote.status != "pending":  # e.g. a retry after the customer already paid
        await apply_remote_state(ports, remote)


async def cancel_for_order(ports: PaymentPorts, envelope: Envelope[OrderCancelled]) -> None:
    order_id, repository = str(envelope.payload.order_id), ports.repository
    payment = await repository.find_by_order(order_id)
    try:
        if payment is None:
            await repository.record_cancelled_order(envelope, order_id)
            return
        transition = transition_for_cancelled_order(payment.status)
        if transition is None:
            await repository.record_event(envelope)
            return
        now = ports.clock()
        remote = (
            await ports.gateway.cancel(payment.payment_id)
            if payment.status is PaymentStatus.PENDING
            else None
        )
        updated = payment.apply(transition, remote.status_detail if remote else None, now)
        if remote is not None and observed_status(remote, now) is PaymentStatus.APPROVED:
            # Paid just before our cancellation reached Mercado Pago.
            late = next_transition(updated.status, PaymentStatus.APPROVED)
            updated = updated.apply(late, None, now, remote.approved_at) if late else updated
        if updated.needs_refund:
            log.error(
                "order cancelled but the payment was approved: refund needed",
                extra={
                    "payment_id": payment.payment_id,
                    "order_id": order_id,
                    "needs_refund": True,
                },
            )
        await repository.save(updated, payment.version, [], cause=envelope)
    except DuplicateEvent:
        return
    if updated.needs_refund:
        await refund_quietly(ports, updated)
    # ConditionFailed propagates: the message is retried and re-evaluated.


async def handle_webhook(
    ports: PaymentPorts,
    *,
    data_id: str | None,
    kind: str | None,
    x_signature: str | None,
    x_request_id: str | None,
) -> Literal["ok", "ignored"]:
    """Record the notification and answer: the reconciler re-fetches the payment from
    Mercado Pago (the body is never trusted), so a slow Mercado Pago cannot slow us."""
    if kind != "payment" or not data_id:
        return "ignored"  # merchant_order and other topics: nothing of ours changes
    now, repository = ports.clock(), ports.repository
    known = await repository.get(data_id) is not None
    if x_signature is None:
        # The IPN form and notification_url deliveries come unsigned: a re-fetch, rate-limited.
        if not known:
            raise NotFound("unknown payment")
        await repository.flag_for_check(data_id, now, ports.unverified_min_interval)
        return "ok"
    try:
        verify_signature(
            x_signature,
            x_request_id,
            data_id,
            ports.webhook_secret,
            now_ms=int(now.timestamp() * 1000),
            tolerance_seconds=ports.webhook_tolerance_seconds,
        )
    except InvalidSignature as exc:
        log.warning("webhook refused: %s", exc, extra={"x_request_id": x_request_id})
        if known:  # a re-fetch cannot hurt; the rate limit keeps a flood from hammering MP
            await repository.flag_for_check(data_id, now, ports.unverified_min_interval)
        raise Unauthorized("invalid webhook signature") from exc
    if not known:
        raise NotFound("unknown payment")
    await repository.flag_for_check(data_id, now, ports.notification_min_interval)
    return "ok"


def _charge(ports: PaymentPorts, event: OrderPaymentRequested, now: datetime) -> PixCharge:
    customer = event.customer
    first_name = customer.name.split()[0] if customer.name and customer.name.split() else None
    number = event.display_number or str(event.order_id)[:8]
    return PixCharge(
        order_id=str(event.order_id),
        amount=event.amount,
        description=f"Fast-food order {number}",
        payer_email=customer.email or ports.default_payer_email,
        payer_first_name=first_name,
        payer_cpf=customer.cpf,
        notification_url=ports.notification_url,
        expires_at=now + ports.pix_expiration,
    )


async def _record(repository: PaymentRepository, envelope: Envelope[Any]) -> None:
    with suppress(DuplicateEvent):
        await repository.record_event(envelope)


async def _cancel_orphan(
    ports: PaymentPorts, payment_id: str, cause: Envelope[Any], from_pending: bool = False
) -> None:
    """The order was cancelled while we created its payment: cancel it at Mercado Pago."""
    try:
        await ports.gateway.cancel(payment_id)
    except Exception:
        log.error(
            "could not cancel the payment of a cancelled order",
            exc_info=True,
            extra={"payment_id": payment_id, "ops_action": "cancel_or_refund"},
        )
    if from_pending:
        await ports.repository.drop_creation(str(cause.payload.order_id))
    else:
        await _record(ports.repository, cause)


async def visible_payment(
    repository: PaymentRepository,
    principal: Principal,
    *,
    payment_id: str | None = None,
    order_id: str | None = None,
) -> Payment:
    payment = (
        await repository.get(payment_id)
        if payment_id is not None
        else await repository.find_by_order(order_id or "")
    )
    if payment is None:
        raise NotFound("payment not found")
    if not owner_can_see(payment, principal.subject, principal.is_staff):
        raise Forbidden("not your payment")
    return payment
