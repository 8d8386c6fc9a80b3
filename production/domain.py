"""The kitchen ticket and its state machine — pure: stdlib and pydantic only.

RECEIVED → IN_PREPARATION (started) → READY (completed) → DELIVERED (delivered).
Every other move, including repeating the one just made (e.g. `started` twice), is an
illegal transition: the API answers 409 rather than pretending a second click did something.
A ticket still RECEIVED can also be CANCELLED by an `order-cancelled` event.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Fixed forever: production ids are derived from it, so changing it would let a redelivered
# order-paid create a second ticket for an order that already has one.
PRODUCTION_NAMESPACE = uuid.UUID("ccce2e3b-5b65-4313-bcbf-b058f42fb165")


def production_id_for(order_id: uuid.UUID | str) -> str:
    """One ticket per order: the ticket id is a pure function of the order id."""
    return str(uuid.uuid5(PRODUCTION_NAMESPACE, f"order:{order_id}"))


class TicketStatus(StrEnum):
    RECEIVED = "RECEIVED"
    IN_PREPARATION = "IN_PREPARATION"
    READY = "READY"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


# The statuses the kitchen still has to act on (GET /production lists these).
ACTIVE_STATUSES = frozenset(
    {TicketStatus.RECEIVED, TicketStatus.IN_PREPARATION, TicketStatus.READY}
)


class Action(StrEnum):
    """What staff report; each is the last path segment of a PUT /production/{id}/<action>."""

    STARTED = "started"
    COMPLETED = "completed"
    DELIVERED = "delivered"


# action -> (the only status it may start from, the status it leads to)
TRANSITIONS: dict[Action, tuple[TicketStatus, TicketStatus]] = {
    Action.STARTED: (TicketStatus.RECEIVED, TicketStatus.IN_PREPARATION),
    Action.COMPLETED: (TicketStatus.IN_PREPARATION, TicketStatus.READY),
    Action.DELIVERED: (TicketStatus.READY, TicketStatus.DELIVERED),
}


class IllegalTransition(Exception):
    """The ticket's current status does not allow the requested action."""

    def __init__(self, production_id: str, current: TicketStatus, action: Action) -> None:
        requested = TRANSITIONS[action][1]
        super().__init__(
            f"ticket {production_id} is {current.value}; it cannot move to {requested.value}"
            f" ({action.value}) from there"
        )
        self.current = current
        self.requested = requested


class TicketItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    quantity: int = Field(ge=1)
    notes: str | None = None


class Ticket(BaseModel):
    model_config = ConfigDict(frozen=True)

    production_id: str
    order_id: uuid.UUID
    display_number: str | None = None
    status: TicketStatus = TicketStatus.RECEIVED
    items: tuple[TicketItem, ...]
    customer_name: str | None = None
    # The order's correlation id: every event about this ticket continues the order's trace.
    correlation_id: uuid.UUID
    received_at: AwareDatetime
    started_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    # Bumped on every change; writes are conditional on it (optimistic concurrency).
    version: int = Field(default=1, ge=1)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def advance(self, action: Action, at: datetime) -> "Ticket":
        """The ticket after `action`, or IllegalTransition; `self` is left unchanged."""
        expected, target = TRANSITIONS[action]
        if self.status != expected:
            raise IllegalTransition(self.production_id, self.status, action)
        stamp = {
            Action.STARTED: "started_at",
            Action.COMPLETED: "completed_at",
            Action.DELIVERED: "delivered_at",
        }[action]
        return self.model_copy(update={"status": target, stamp: at, "version": self.version + 1})

    def cancel(self, at: datetime) -> "Ticket | None":
        """The cancelled ticket, or None when the kitchen already started (too late to cancel)."""
        if self.status != TicketStatus.RECEIVED:
            return None
        return self.model_copy(
            update={
                "status": TicketStatus.CANCELLED,
                "cancelled_at": at,
                "version": self.version + 1,
            }
        )
