"""The reconciler: the payment worker's loop that asks Mercado Pago instead of waiting.

Each pass reads the sparse `reconcile-index` (only items with work carry it): pending
payments past their next check, payments a notification named, refunds still to make, and
creations Mercado Pago could not take yet. At most `batch` items per pass, one pass per
`interval`: the rate limit that keeps a flood of notifications from becoming a flood of
calls to Mercado Pago.
"""

import asyncio
from contextlib import suppress
from dataclasses import replace

from opentelemetry import trace

from common.dynamo import ConditionFailed
from common.logging import get_logger
from common.tracing import start_span
from payment import service
from payment.domain import Payment, PaymentStatus
from payment.ports import PaymentPorts
from payment.repository import PendingCreation
from payment.sync import apply_remote_state, settle_refund

log = get_logger(__name__)


async def reconcile_once(ports: PaymentPorts, batch: int) -> int:
    """One pass; returns how many items were due."""
    due = await ports.repository.due_for_check(ports.clock(), batch)
    for item in due:
        # Its own span: the events it stages (payment-approved, …) link to it, so a trace
        # shows that the reconciler's re-fetch, not a request, decided them.
        name = (
            "retry payment creation" if isinstance(item, PendingCreation) else "reconcile payment"
        )
        try:
            with trace.use_span(start_span(name), end_on_exit=True):
                if isinstance(item, PendingCreation):
                    await service.retry_creation(ports, item)
                else:
                    await check_payment(ports, item)
        except Exception:  # one bad item must not stop the others; it stays due
            log.warning("reconciliation of an item failed; retried next pass", exc_info=True)
    return len(due)


async def check_payment(ports: PaymentPorts, payment: Payment) -> None:
    if payment.needs_refund:
        await settle_refund(ports, payment)
        return
    remote = await ports.gateway.get(payment.payment_id)
    if remote is not None:
        await apply_remote_state(ports, remote)
    else:
        log.error(
            "mercado pago does not know a stored payment", extra={"payment_id": payment.payment_id}
        )
    await _reschedule(ports, payment.payment_id)


async def _reschedule(ports: PaymentPorts, payment_id: str) -> None:
    """Pending: look again later; final: off the index (unless a refund is due)."""
    current = await ports.repository.get(payment_id)
    if current is None or current.needs_refund:
        return
    now = ports.clock()
    next_at = now + ports.pending_check_every if current.status is PaymentStatus.PENDING else None
    if current.check_at is None and next_at is None:
        return
    updated = replace(current, check_at=next_at, version=current.version + 1)
    with suppress(ConditionFailed):  # changed meanwhile: the next pass sees the new state
        await ports.repository.save(updated, current.version, [])


class Reconciler:
    def __init__(self, ports: PaymentPorts, interval_seconds: float, batch: int) -> None:
        self._ports = ports
        self._interval = interval_seconds
        self._batch = batch

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await reconcile_once(self._ports, self._batch)
            except Exception:  # DynamoDB briefly unreachable: try again next pass
                log.warning("reconciliation pass failed", exc_info=True)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
