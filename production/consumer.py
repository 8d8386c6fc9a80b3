"""Events the kitchen consumes (production-service-queue): event_name -> use case."""

from typing import TypeVar

from common.events import Envelope, Event, OrderCancelled, OrderPaid, PoisonMessage
from common.messaging import Handler
from production import service
from production.service import Clock, TicketStore

E = TypeVar("E", bound=Event)


def handlers(store: TicketStore, clock: Clock = service.utc_now) -> dict[str, Handler]:
    async def on_order_paid(envelope: Envelope[Event]) -> None:
        await service.receive_paid_order(store, envelope, _payload(envelope, OrderPaid), clock)

    async def on_order_cancelled(envelope: Envelope[Event]) -> None:
        await service.cancel_ticket_for_order(
            store, envelope, _payload(envelope, OrderCancelled), clock
        )

    return {
        OrderPaid.event_name: on_order_paid,
        OrderCancelled.event_name: on_order_cancelled,
    }


def _payload(envelope: Envelope[Event], expected: type[E]) -> E:
    if not isinstance(envelope.payload, expected):  # parse_message guarantees it; be explicit
        raise PoisonMessage(f"{envelope.meta.event_name} payload is not {expected.__name__}")
    return envelope.payload
