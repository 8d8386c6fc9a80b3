"""The kitchen ticket's state machine and its id, with no I/O."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from production.domain import (
    PRODUCTION_NAMESPACE,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Ticket,
    TicketItem,
    TicketStatus,
    production_id_for,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEGAL = [
    (TicketStatus.RECEIVED, Action.STARTED, TicketStatus.IN_PREPARATION, "started_at"),
    (TicketStatus.IN_PREPARATION, Action.COMPLETED, TicketStatus.READY, "completed_at"),
    (TicketStatus.READY, Action.DELIVERED, TicketStatus.DELIVERED, "delivered_at"),
]
ILLEGAL = [
    (status, action)
    for status in TicketStatus
    for action in Action
    if (status, action) not in {(s, a) for s, a, _, _ in LEGAL}
]


def ticket(status: TicketStatus = TicketStatus.RECEIVED, version: int = 1) -> Ticket:
    order_id = uuid.uuid4()
    return Ticket(
        production_id=production_id_for(order_id),
        order_id=order_id,
        display_number="A-042",
        status=status,
        items=(TicketItem(name="X-Burger", quantity=2, notes="no onion"),),
        customer_name="Ana",
        correlation_id=uuid.uuid4(),
        received_at=T0,
        version=version,
    )


def test_production_id_is_the_same_for_every_delivery_of_one_order() -> None:
    order_id = uuid.uuid4()
    assert production_id_for(order_id) == production_id_for(str(order_id))
    assert production_id_for(order_id) == str(uuid.uuid5(PRODUCTION_NAMESPACE, f"order:{order_id}"))
    assert uuid.UUID(production_id_for(order_id)).version == 5


def test_production_ids_of_different_orders_differ() -> None:
    assert production_id_for(uuid.uuid4()) != production_id_for(uuid.uuid4())


def test_production_id_namespace_never_changes() -> None:
    # A changed namespace would give already-ticketed orders a second ticket on redelivery.
    order_id = uuid.UUID("00000000-0000-4000-8000-000000000001")
    assert production_id_for(order_id) == "05466610-32ea-5c91-9272-e16735fa9a08"


@pytest.mark.parametrize(("current", "action", "expected", "stamp"), LEGAL)
def test_legal_transition_moves_the_ticket_and_stamps_the_time(
    current: TicketStatus, action: Action, expected: TicketStatus, stamp: str
) -> None:
    before = ticket(current, version=3)
    at = T0 + timedelta(minutes=5)
    after = before.advance(action, at)
    assert after.status == expected
    assert getattr(after, stamp) == at
    assert after.version == 4
    assert before.status == current  # the original is left untouched


def test_the_transition_table_is_exactly_the_happy_path() -> None:
    assert {(s, a, t) for s, a, t, _ in LEGAL} == {(s, a, t) for a, (s, t) in TRANSITIONS.items()}


@pytest.mark.parametrize(("current", "action"), ILLEGAL)
def test_illegal_transition_names_current_and_requested_status(
    current: TicketStatus, action: Action
) -> None:
    with pytest.raises(IllegalTransition) as raised:
        ticket(current).advance(action, T0)
    requested = TRANSITIONS[action][1]
    assert raised.value.current == current
    assert raised.value.requested == requested
    assert current.value in str(raised.value) and requested.value in str(raised.value)


@pytest.mark.parametrize("action", list(Action))
def test_repeating_a_transition_is_illegal(action: Action) -> None:
    done = ticket(TRANSITIONS[action][0]).advance(action, T0)
    with pytest.raises(IllegalTransition):
        done.advance(action, T0)


def test_a_whole_ticket_walks_received_to_delivered() -> None:
    walked = ticket()
    for action in (Action.STARTED, Action.COMPLETED, Action.DELIVERED):
        walked = walked.advance(action, T0)
    assert walked.status == TicketStatus.DELIVERED
    assert walked.version == 4
    assert not walked.is_active


def test_received_ticket_can_be_cancelled() -> None:
    cancelled = ticket().cancel(T0)
    assert cancelled is not None
    assert cancelled.status == TicketStatus.CANCELLED
    assert cancelled.cancelled_at == T0
    assert cancelled.version == 2
    assert not cancelled.is_active


@pytest.mark.parametrize("status", [s for s in TicketStatus if s != TicketStatus.RECEIVED])
def test_ticket_under_way_or_finished_is_not_cancelled(status: TicketStatus) -> None:
    assert ticket(status).cancel(T0) is None


@pytest.mark.parametrize("status", list(TicketStatus))
def test_active_means_the_kitchen_still_has_work(status: TicketStatus) -> None:
    assert ticket(status).is_active == (
        status not in {TicketStatus.DELIVERED, TicketStatus.CANCELLED}
    )
