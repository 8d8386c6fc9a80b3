"""Use cases against an in-memory store with the repository's semantics (inbox, conditions)."""

import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.dynamo import DuplicateEvent
from common.errors import Conflict, NotFound
from common.events import Envelope, KitchenItem, OrderCancelled, OrderPaid, new_envelope
from production import service
from production.domain import Action, Ticket, TicketStatus, production_id_for

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class FakeStore:
    """Same contract as TicketRepository: conditional writes, inbox, outbox, all or nothing."""

    def __init__(self) -> None:
        self.tickets: dict[str, Ticket] = {}
        self.inbox: set[uuid.UUID] = set()
        self.outbox: list[Envelope[Any]] = []
        self.stale_reads: dict[str, Ticket] = {}  # served once, as if read before a change

    async def get(self, production_id: str) -> Ticket | None:
        return self.stale_reads.pop(production_id, None) or self.tickets.get(production_id)

    async def list_by_status(self, statuses: Collection[TicketStatus]) -> list[Ticket]:
        return [t for t in self.tickets.values() if t.status in statuses]

    def _check_inbox(self, cause: Envelope[Any] | None) -> None:
        if cause is not None and cause.meta.event_id in self.inbox:
            raise DuplicateEvent()

    async def create(self, ticket: Ticket, *, cause: Envelope[Any]) -> bool:
        self._check_inbox(cause)
        if ticket.production_id in self.tickets:
            return False
        self.tickets[ticket.production_id] = ticket
        self.inbox.add(cause.meta.event_id)
        return True

    async def save_change(
        self,
        before: Ticket,
        after: Ticket,
        *,
        cause: Envelope[Any] | None = None,
        event: Envelope[Any] | None = None,
    ) -> bool:
        self._check_inbox(cause)
        stored = self.tickets[before.production_id]
        if (stored.status, stored.version) != (before.status, before.version):
            return False
        self.tickets[after.production_id] = after
        if cause is not None:
            self.inbox.add(cause.meta.event_id)
        if event is not None:
            self.outbox.append(event)
        return True

    async def record_processed(self, cause: Envelope[Any]) -> None:
        self._check_inbox(cause)
        self.inbox.add(cause.meta.event_id)


def order_paid(order_id: uuid.UUID | None = None) -> Envelope[OrderPaid]:
    event = OrderPaid(
        order_id=order_id or uuid.uuid4(),
        display_number="A-7",
        items=[KitchenItem(name="X-Burger", quantity=1, notes=None)],
        customer_name="Ana",
        paid_at=T0,
    )
    return new_envelope(event, source="order-service")


def cancelled(order_id: uuid.UUID) -> Envelope[OrderCancelled]:
    return new_envelope(
        OrderCancelled(order_id=order_id, reason="payment-expired"), source="order-service"
    )


async def received(store: FakeStore, at: datetime = T0) -> Ticket:
    envelope = order_paid()
    await service.receive_paid_order(store, envelope, envelope.payload, lambda: at)
    return store.tickets[production_id_for(envelope.payload.order_id)]


async def test_paid_order_becomes_a_received_ticket_carrying_the_order_correlation_id() -> None:
    store = FakeStore()
    envelope = order_paid()
    await service.receive_paid_order(store, envelope, envelope.payload, lambda: T0)
    ticket = store.tickets[production_id_for(envelope.payload.order_id)]
    assert ticket.status == TicketStatus.RECEIVED
    assert ticket.received_at == T0
    assert ticket.correlation_id == envelope.meta.correlation_id
    assert [(i.name, i.quantity) for i in ticket.items] == [("X-Burger", 1)]


async def test_redelivered_and_repeated_order_paid_make_one_ticket() -> None:
    store = FakeStore()
    first = order_paid()
    again = order_paid(first.payload.order_id)  # a different event id for the same order
    for envelope in (first, first, again):
        await service.receive_paid_order(store, envelope, envelope.payload)
    assert len(store.tickets) == 1


async def test_each_transition_puts_its_event_in_the_outbox_on_the_order_trace() -> None:
    store = FakeStore()
    ticket = await received(store)
    for minutes, action in enumerate(Action, start=1):
        at = T0 + timedelta(minutes=minutes)
        await service.advance_ticket(store, ticket.production_id, action, lambda at=at: at)
    assert [e.meta.event_name for e in store.outbox] == [
        "production-started",
        "production-completed",
        "production-delivered",
    ]
    assert {e.meta.correlation_id for e in store.outbox} == {ticket.correlation_id}
    assert all(e.meta.causation_id is None for e in store.outbox)
    assert [e.payload.at for e in store.outbox] == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    assert store.tickets[ticket.production_id].status == TicketStatus.DELIVERED


async def test_unknown_ticket_is_not_found() -> None:
    with pytest.raises(NotFound):
        await service.advance_ticket(FakeStore(), str(uuid.uuid4()), Action.STARTED)


async def test_illegal_transition_is_a_conflict_and_publishes_nothing() -> None:
    store = FakeStore()
    ticket = await received(store)
    with pytest.raises(Conflict, match=r"RECEIVED.*READY"):
        await service.advance_ticket(store, ticket.production_id, Action.COMPLETED)
    assert store.outbox == []


async def test_a_click_that_lost_the_race_is_a_conflict_naming_the_winners_status() -> None:
    store = FakeStore()
    ticket = await received(store)
    await service.advance_ticket(store, ticket.production_id, Action.STARTED)
    store.stale_reads[ticket.production_id] = ticket  # the loser read RECEIVED before that
    with pytest.raises(Conflict, match="is IN_PREPARATION"):
        await service.advance_ticket(store, ticket.production_id, Action.STARTED)
    assert len(store.outbox) == 1


async def test_kitchen_queue_lists_active_tickets_oldest_first() -> None:
    store = FakeStore()
    newer = await received(store, T0 + timedelta(minutes=2))
    older = await received(store, T0)
    done = await received(store, T0 - timedelta(minutes=9))
    for action in Action:
        await service.advance_ticket(store, done.production_id, action)
    listed = await service.list_tickets(store)
    assert [t.production_id for t in listed] == [older.production_id, newer.production_id]
    delivered = await service.list_tickets(store, TicketStatus.DELIVERED)
    assert [t.production_id for t in delivered] == [done.production_id]


async def test_cancelled_order_cancels_a_ticket_still_received_once() -> None:
    store = FakeStore()
    ticket = await received(store)
    envelope = cancelled(ticket.order_id)
    await service.cancel_ticket_for_order(store, envelope, envelope.payload, lambda: T0)
    await service.cancel_ticket_for_order(store, envelope, envelope.payload)
    assert store.tickets[ticket.production_id].status == TicketStatus.CANCELLED
    assert store.tickets[ticket.production_id].version == 2


async def test_cancelled_order_leaves_a_ticket_under_way_alone() -> None:
    store = FakeStore()
    ticket = await received(store)
    await service.advance_ticket(store, ticket.production_id, Action.STARTED)
    envelope = cancelled(ticket.order_id)
    await service.cancel_ticket_for_order(store, envelope, envelope.payload)
    assert store.tickets[ticket.production_id].status == TicketStatus.IN_PREPARATION
    assert envelope.meta.event_id in store.inbox


async def test_cancelled_order_without_a_ticket_is_just_acknowledged() -> None:
    store = FakeStore()
    envelope = cancelled(uuid.uuid4())
    await service.cancel_ticket_for_order(store, envelope, envelope.payload)
    await service.cancel_ticket_for_order(store, envelope, envelope.payload)
    assert store.tickets == {}
    assert store.inbox == {envelope.meta.event_id}
