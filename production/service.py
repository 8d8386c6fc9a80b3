"""Use cases of the kitchen: one function per event or staff command.

Each takes its ports (the ticket store, a clock) as arguments, so unit tests pass fakes.
"""

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, Protocol

from common.dynamo import DuplicateEvent
from common.errors import Conflict, NotFound
from common.events import (
    Envelope,
    OrderCancelled,
    OrderPaid,
    ProductionCompleted,
    ProductionDelivered,
    ProductionStarted,
    new_envelope,
)
from common.logging import get_logger
from production.domain import (
    ACTIVE_STATUSES,
    Action,
    IllegalTransition,
    Ticket,
    TicketItem,
    TicketStatus,
    production_id_for,
)

log = get_logger(__name__)
SOURCE = "production-service"

Clock = Callable[[], datetime]
ProductionEvent = ProductionStarted | ProductionCompleted | ProductionDelivered
EVENT_FOR_ACTION: dict[Action, type[ProductionEvent]] = {
    Action.STARTED: ProductionStarted,
    Action.COMPLETED: ProductionCompleted,
    Action.DELIVERED: ProductionDelivered,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class TicketStore(Protocol):
    """The persistence port (production.repository.TicketRepository in production)."""

    async def get(self, production_id: str) -> Ticket | None: ...

    async def list_by_status(self, statuses: Collection[TicketStatus]) -> list[Ticket]: ...

    async def create(self, ticket: Ticket, *, cause: Envelope[Any]) -> bool:
        """False when the ticket already exists; DuplicateEvent when `cause` was seen."""
        ...

    async def save_change(
        self,
        before: Ticket,
        after: Ticket,
        *,
        cause: Envelope[Any] | None = None,
        event: Envelope[Any] | None = None,
    ) -> bool:
        """Atomically: inbox `cause`, replace `before` by `after`, outbox `event`.

        False when the stored ticket is no longer `before` (status or version moved).
        """
        ...

    async def record_processed(self, cause: Envelope[Any]) -> None: ...


async def receive_paid_order(
    store: TicketStore, envelope: Envelope[Any], event: OrderPaid, clock: Clock = utc_now
) -> None:
    ticket = Ticket(
        production_id=production_id_for(event.order_id),
        order_id=event.order_id,
        display_number=event.display_number,
        items=tuple(
            TicketItem(name=i.name, quantity=i.quantity, notes=i.notes) for i in event.items
        ),
        customer_name=event.customer_name,
        correlation_id=envelope.meta.correlation_id,
        received_at=clock(),
    )
    context = {"order_id": str(event.order_id), "production_id": ticket.production_id}
    try:
        created = await store.create(ticket, cause=envelope)
    except DuplicateEvent:
        log.info("duplicate order-paid ignored", extra=context)
        return
    if created:
        log.info("kitchen ticket received", extra=context)
    else:
        # Another order-paid (different event id) for the same order already made the ticket.
        log.info("order already has a ticket; order-paid ignored", extra=context)


async def cancel_ticket_for_order(
    store: TicketStore, envelope: Envelope[Any], event: OrderCancelled, clock: Clock = utc_now
) -> None:
    """Cancelled orders are never paid, so normally there is no ticket: just acknowledge."""
    context = {"order_id": str(event.order_id), "reason": event.reason}
    ticket = await store.get(production_id_for(event.order_id))
    cancelled = ticket.cancel(clock()) if ticket is not None else None
    try:
        # False: the ticket moved on meanwhile (staff started it): too late, as below.
        if (
            ticket is not None
            and cancelled is not None
            and await store.save_change(ticket, cancelled, cause=envelope)
        ):
            log.warning("ticket of a cancelled order cancelled", extra=context)
            return
        await store.record_processed(envelope)
    except DuplicateEvent:
        log.info("duplicate order-cancelled ignored", extra=context)
        return
    if ticket is None:
        log.info("order cancelled before reaching the kitchen", extra=context)
    else:
        log.warning(
            "order cancelled; its ticket is %s, left as is",
            ticket.status.value,
            extra=context | {"production_id": ticket.production_id},
        )


async def get_ticket(store: TicketStore, production_id: str) -> Ticket:
    ticket = await store.get(production_id)
    if ticket is None:
        raise NotFound(f"ticket {production_id} not found")
    return ticket


async def list_tickets(store: TicketStore, status: TicketStatus | None = None) -> list[Ticket]:
    """The kitchen queue: active tickets (or those with `status`), oldest first."""
    tickets = await store.list_by_status({status} if status else ACTIVE_STATUSES)
    return sorted(tickets, key=lambda t: (t.received_at, t.production_id))


async def advance_ticket(
    store: TicketStore, production_id: str, action: Action, clock: Clock = utc_now
) -> Ticket:
    ticket = await get_ticket(store, production_id)
    now = clock()
    try:
        updated = ticket.advance(action, now)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    event = EVENT_FOR_ACTION[action](order_id=ticket.order_id, production_id=production_id, at=now)
    envelope = new_envelope(
        event, source=SOURCE, correlation_id=ticket.correlation_id, causation_id=None
    )
    if not await store.save_change(ticket, updated, event=envelope):
        # Someone else changed the ticket between our read and our write (two staff clicks):
        # their change won; report ours against the status they left.
        current = await get_ticket(store, production_id)
        raise Conflict(str(IllegalTransition(production_id, current.status, action)))
    log.info(
        "ticket %s",
        action.value,
        extra={"production_id": production_id, "order_id": str(ticket.order_id)},
    )
    return updated
