"""Order use cases: place an order, and react to payment and kitchen events.

Every state change, its history row, its inbox claim and the events it causes are written
in one transaction (outbox), so no event is lost and no redelivery has a second effect.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import transaction
from common.errors import Unprocessable
from common.events import (
    ChargedItem,
    Customer,
    Envelope,
    Event,
    KitchenItem,
    OrderCancelled,
    OrderPaid,
    OrderPaymentRequested,
    PaymentCreated,
    PoisonMessage,
    new_envelope,
)
from common.logging import get_correlation_id, get_logger
from common.outbox import add_to_outbox, claim_inbox
from common.security import Principal
from order import repository as repo
from order.domain import (
    KITCHEN_EVENTS,
    CatalogProduct,
    OrderStatus,
    Outcome,
    RequestedItem,
    UnknownProducts,
    display_number,
    on_kitchen_event,
    on_payment_approved,
    on_payment_failed,
    price_order,
)

log = get_logger(__name__)
SOURCE = "order-service"
ProductLookup = Callable[[list[UUID]], Awaitable[dict[UUID, CatalogProduct]]]
Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class PlacedOrder:
    """`row`/`items` are the stored rows of a new order; None when an Idempotency-Key
    replayed an earlier order (`created` False), which the caller reads back."""

    id: UUID
    created: bool
    row: dict[str, Any] | None = None
    items: list[dict[str, Any]] = field(default_factory=list)


async def place_order(
    sessions: Sessions,
    lookup: ProductLookup,
    customer: Principal,
    items: list[RequestedItem],
    idempotency_key: str | None,
) -> PlacedOrder:
    """A repeated Idempotency-Key returns the first order (created False)."""
    if idempotency_key:
        async with sessions() as session:
            existing = await repo.find_by_idempotency_key(
                session, customer.subject, idempotency_key
            )
        if existing:
            return PlacedOrder(existing["id"], created=False)
    products = await lookup(sorted({item.product_id for item in items}, key=str))
    try:
        lines, total = price_order(items, products)
    except UnknownProducts as exc:
        raise Unprocessable(
            {
                "message": "unknown or unavailable products",
                "product_ids": [str(p) for p in exc.product_ids],
            }
        ) from exc
    order_id, now = uuid4(), datetime.now(UTC)
    async with transaction(sessions) as session:
        number = display_number(await repo.next_display_sequence(session, now.date()))
        row, stored_items = await repo.insert_order(
            session,
            {
                "id": order_id,
                "display_number": number,
                "customer_id": customer.subject,
                "customer_name": customer.name,
                "customer_email": customer.email,
                "status": OrderStatus.AWAITING_PAYMENT.value,
                "total": total,
                "idempotency_key": idempotency_key,
                "created_at": now,
                "updated_at": now,
            },
            lines,
        )
        await repo.add_history(session, order_id, OrderStatus.AWAITING_PAYMENT)
        request = OrderPaymentRequested(
            order_id=order_id,
            display_number=number,
            amount=total,
            customer=Customer(id=customer.subject, name=customer.name, email=customer.email),
            items=[
                ChargedItem(name=line.name, quantity=line.quantity, unit_price=line.unit_price)
                for line in lines
            ],
        )
        await add_to_outbox(
            session,
            repo.outbox,
            new_envelope(request, source=SOURCE, correlation_id=_request_correlation_id()),
        )
    return PlacedOrder(order_id, created=True, row=row, items=stored_items)


def _request_correlation_id() -> UUID | None:
    value = get_correlation_id()
    return UUID(value) if value else None


async def _locked_order(session: AsyncSession, envelope: Envelope[Event]) -> dict[str, Any]:
    order_id: UUID = getattr(envelope.payload, "order_id")  # noqa: B009 - every order event has one
    order = await repo.lock_order(session, order_id)
    if order is None:  # orders are committed before any event about them exists
        raise PoisonMessage(f"{envelope.meta.event_name} for unknown order {order_id}")
    return order


def _follow_up(envelope: Envelope[Event], event: Any) -> Envelope[Any]:
    return new_envelope(
        event,
        source=SOURCE,
        correlation_id=envelope.meta.correlation_id,
        causation_id=envelope.meta.event_id,
    )


async def handle_order_event(sessions: Sessions, envelope: Envelope[Event]) -> None:
    """One transaction per event: inbox claim, state change, history, outbox."""
    async with transaction(sessions) as session:
        if not await claim_inbox(session, repo.inbox, envelope):
            log.info("duplicate event ignored", extra={"event_id": str(envelope.meta.event_id)})
            return
        order = await _locked_order(session, envelope)
        await _apply(session, order, envelope)


async def _apply(session: AsyncSession, order: dict[str, Any], envelope: Envelope[Event]) -> None:
    current, payload, name = (
        OrderStatus(order["status"]),
        envelope.payload,
        envelope.meta.event_name,
    )
    order_id, event_id = order["id"], envelope.meta.event_id
    if isinstance(payload, PaymentCreated):
        await repo.update_order(
            session,
            order_id,
            payment_id=payload.payment_id,
            qr_code=payload.qr_code,
            qr_code_base64=payload.qr_code_base64,
            payment_expires_at=payload.expires_at,
        )
        return
    if name == "payment-approved":
        outcome = on_payment_approved(current)
        if outcome is Outcome.MOVE:
            await _move(session, order_id, OrderStatus.PAID, event_id)
            await add_to_outbox(
                session, repo.outbox, _follow_up(envelope, await _order_paid(session, order))
            )
        elif outcome is Outcome.LATE_APPROVAL:
            log.error(
                "payment approved for a cancelled order: refund needed",
                extra={"order_id": str(order_id)},
            )
            await repo.update_order(session, order_id, needs_refund=True)
            await repo.add_history(
                session,
                order_id,
                current,
                event_id,
                note="payment approved after cancellation; refund needed",
            )
        return
    if name in ("payment-rejected", "payment-expired"):
        if on_payment_failed(current) is Outcome.MOVE:
            reason = f"{name}: {getattr(payload, 'reason', '')}"
            await _move(session, order_id, OrderStatus.CANCELLED, event_id, note=reason)
            await repo.update_order(session, order_id, cancel_reason=reason)
            await add_to_outbox(
                session,
                repo.outbox,
                _follow_up(envelope, OrderCancelled(order_id=order_id, reason=reason)),
            )
        return
    target = KITCHEN_EVENTS[name]
    if on_kitchen_event(current, target) is Outcome.MOVE:
        await _move(session, order_id, target, event_id)
    else:
        log.info(
            "stale kitchen event ignored",
            extra={"order_id": str(order_id), "status": current.value, "event_name": name},
        )


async def _move(
    session: AsyncSession,
    order_id: UUID,
    status: OrderStatus,
    event_id: UUID,
    note: str | None = None,
) -> None:
    await repo.update_order(session, order_id, status=status.value)
    await repo.add_history(session, order_id, status, event_id, note)


async def _order_paid(session: AsyncSession, order: dict[str, Any]) -> OrderPaid:
    items = (await repo.items_of(session, [order["id"]]))[order["id"]]
    return OrderPaid(
        order_id=order["id"],
        display_number=order["display_number"],
        items=[
            KitchenItem(name=i["name"], quantity=i["quantity"], notes=i["notes"]) for i in items
        ],
        customer_name=order["customer_name"],
        paid_at=datetime.now(UTC),
    )
