"""Order use cases: place an order, and react to payment and kitchen events.

Every state change, its history row, its inbox claim and the events it causes are written
in one transaction (outbox), so no event is lost and no redelivery has a second effect.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import transaction
from common.errors import Conflict, Forbidden, NotFound, Unprocessable
from common.events import (
    ChargedItem,
    Customer,
    Envelope,
    Event,
    KitchenItem,
    OrderCancelled,
    OrderPaid,
    OrderPaymentRequested,
    PaymentChargedBack,
    PaymentCreated,
    PaymentCreationFailed,
    PaymentRefunded,
    PoisonMessage,
    new_envelope,
)
from common.logging import get_correlation_id, get_logger
from common.outbox import add_to_outbox, claim_inbox
from common.security import Principal
from order import repository as repo
from order.domain import (
    CUSTOMER_CANCELLED,
    KITCHEN_EVENTS,
    CatalogProduct,
    OrderLine,
    OrderStatus,
    Outcome,
    RequestedItem,
    UnknownProducts,
    display_number,
    is_same_request,
    on_cancel_request,
    on_kitchen_event,
    on_payment_approved,
    on_payment_failed,
    on_payment_refunded,
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


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's Idempotency-Key and the fingerprint of the body it came with."""

    key: str
    fingerprint: str


# How long a request waits for another one holding the same key (whose transaction lasts
# milliseconds) before answering 409 "in progress"; and how often it looks.
KEY_WAIT_SECONDS = 2.0
KEY_POLL_SECONDS = 0.05
KEY_RETRY_AFTER = "1"
_IDEMPOTENCY_INDEX = "ux_orders_idempotency"


async def place_order(
    sessions: Sessions,
    lookup: ProductLookup,
    customer: Principal,
    items: list[RequestedItem],
    idempotency: IdempotencyKey | None,
    cpf: str | None = None,
) -> PlacedOrder:
    """A repeated Idempotency-Key returns the first order (created False); with another
    body it is refused (422); while its first request is still writing, 409 + Retry-After."""
    if idempotency:
        async with sessions() as session:
            replayed = await _replay(session, customer, idempotency)
        if replayed:
            return replayed
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
    try:
        return await _insert_order(sessions, customer, lines, total, idempotency, cpf)
    except IntegrityError as exc:
        # The key lock makes this unreachable; should it ever happen, the index has kept
        # the order unique and the client is owed that order, not a 500.
        if idempotency is None or _IDEMPOTENCY_INDEX not in str(exc.orig):
            raise
        async with sessions() as session:
            replayed = await _replay(session, customer, idempotency)
        if replayed is None:
            raise
        return replayed


async def _replay(
    session: AsyncSession, customer: Principal, idempotency: IdempotencyKey
) -> PlacedOrder | None:
    existing = await repo.find_by_idempotency_key(session, customer.subject, idempotency.key)
    if existing is None:
        return None
    if not is_same_request(existing["idempotency_request_hash"], idempotency.fingerprint):
        raise Unprocessable(
            {
                "message": "this Idempotency-Key was already used with a different request "
                "body; send a new key for a new order",
                "order_id": str(existing["id"]),
            }
        )
    return PlacedOrder(existing["id"], created=False)


async def _insert_order(
    sessions: Sessions,
    customer: Principal,
    lines: list[OrderLine],
    total: Decimal,
    idempotency: IdempotencyKey | None,
    cpf: str | None,
) -> PlacedOrder:
    if idempotency is None:
        async with transaction(sessions) as session:
            return await _write_order(session, customer, lines, total, None, cpf)
    # Requests with one key take turns on its lock. A request that does not get it waits
    # WITHOUT a connection (a burst of retries must not drain the pool the creator needs),
    # then looks for the creator's order; 409 when the creator is still at work after
    # KEY_WAIT_SECONDS.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + KEY_WAIT_SECONDS
    while True:
        async with transaction(sessions) as session:
            if await repo.try_lock_idempotency_key(session, customer.subject, idempotency.key):
                replayed = await _replay(session, customer, idempotency)  # it won the race
                if replayed:
                    return replayed
                return await _write_order(session, customer, lines, total, idempotency, cpf)
        if loop.time() >= deadline:
            raise Conflict(
                "an order with this Idempotency-Key is still being created; retry shortly",
                headers={"Retry-After": KEY_RETRY_AFTER},
            )
        await asyncio.sleep(KEY_POLL_SECONDS)
        async with sessions() as session:
            replayed = await _replay(session, customer, idempotency)
        if replayed:
            return replayed


async def _write_order(
    session: AsyncSession,
    customer: Principal,
    lines: list[OrderLine],
    total: Decimal,
    idempotency: IdempotencyKey | None,
    cpf: str | None,
) -> PlacedOrder:
    """The order, its first history row and `order-payment-requested`, in the caller's
    transaction."""
    order_id, now = uuid4(), datetime.now(UTC)
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
            "idempotency_key": idempotency.key if idempotency else None,
            "idempotency_request_hash": idempotency.fingerprint if idempotency else None,
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
        customer=Customer(id=customer.subject, name=customer.name, email=customer.email, cpf=cpf),
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


async def cancel_order(sessions: Sessions, order_id: UUID, user: Principal) -> None:
    """The owner or staff cancels an unpaid order: CANCELLED, its history row and
    `order-cancelled` (payment cancels the Pix) in one transaction."""
    async with transaction(sessions) as session:
        order = await repo.lock_order(session, order_id)
        if order is None:
            raise NotFound("order not found")
        if not user.is_staff and order["customer_id"] != user.subject:
            raise Forbidden("this order belongs to another customer")  # as GET /order/{id}
        current = OrderStatus(order["status"])
        outcome = on_cancel_request(current)
        if outcome is Outcome.REFUSE:
            raise Conflict(
                f"the order is {current.value}: only an order awaiting payment can be "
                "cancelled (a paid order is handled at the counter)"
            )
        if outcome is Outcome.MOVE:
            await _cancel(session, order_id, CUSTOMER_CANCELLED, None)
            envelope = new_envelope(
                OrderCancelled(order_id=order_id, reason=CUSTOMER_CANCELLED),
                source=SOURCE,
                correlation_id=_request_correlation_id(),
            )
            await add_to_outbox(session, repo.outbox, envelope)


async def _cancel(
    session: AsyncSession, order_id: UUID, reason: str, event_id: UUID | None
) -> None:
    await _move(session, order_id, OrderStatus.CANCELLED, event_id, note=reason)
    await repo.update_order(session, order_id, cancel_reason=reason)


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
    if isinstance(payload, PaymentRefunded | PaymentChargedBack | PaymentCreationFailed):
        await _apply_money_event(session, order, envelope)
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
            await _cancel_and_tell(session, envelope, order_id, reason)
        return
    target = KITCHEN_EVENTS[name]
    if on_kitchen_event(current, target) is Outcome.MOVE:
        await _move(session, order_id, target, event_id)
    else:
        log.info(
            "stale kitchen event ignored",
            extra={"order_id": str(order_id), "status": current.value, "event_name": name},
        )


async def _apply_money_event(
    session: AsyncSession, order: dict[str, Any], envelope: Envelope[Event]
) -> None:
    """Refunds and charge-backs are flagged and written in the history (status kept, but a
    wrong amount never reaches the kitchen); a charge that could not be created cancels."""
    current, payload, event_id = (
        OrderStatus(order["status"]),
        envelope.payload,
        envelope.meta.event_id,
    )
    order_id = order["id"]
    if isinstance(payload, PaymentCreationFailed):
        if on_payment_failed(current) is Outcome.MOVE:
            reason = f"{envelope.meta.event_name}: {payload.reason}"
            await _cancel_and_tell(session, envelope, order_id, reason)
        return
    if isinstance(payload, PaymentChargedBack):
        await repo.update_order(session, order_id, charged_back=True)
        note = f"charged back: {payload.amount} (payment {payload.payment_id})"
        await repo.add_history(session, order_id, current, event_id, note=note)
        log.error("payment charged back", extra={"order_id": str(order_id)})
        return
    assert isinstance(payload, PaymentRefunded)
    await repo.update_order(session, order_id, refunded=True)
    if on_payment_refunded(current, payload.reason) is Outcome.MOVE:
        await _cancel_and_tell(session, envelope, order_id, payload.reason)
        current = OrderStatus.CANCELLED
    note = f"refunded: {payload.amount} ({payload.reason}, payment {payload.payment_id})"
    await repo.add_history(session, order_id, current, event_id, note=note)


async def _cancel_and_tell(
    session: AsyncSession, envelope: Envelope[Event], order_id: UUID, reason: str
) -> None:
    await _cancel(session, order_id, reason, envelope.meta.event_id)
    await add_to_outbox(
        session,
        repo.outbox,
        _follow_up(envelope, OrderCancelled(order_id=order_id, reason=reason)),
    )


async def _move(
    session: AsyncSession,
    order_id: UUID,
    status: OrderStatus,
    event_id: UUID | None,
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
