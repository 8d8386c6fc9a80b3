"""All SQL of the order service."""

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    bindparam,
    case,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.outbox import inbox_table, outbox_table
from order.domain import ACTIVE_STATUSES, OrderLine, OrderStatus

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("id", PgUUID(as_uuid=True), primary_key=True),
    Column("display_number", String(8), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("customer_name", String(120)),
    Column("customer_email", String(254)),
    Column("status", String(20), nullable=False),
    Column("total", Numeric(10, 2), nullable=False),
    Column("idempotency_key", String(128)),
    Column("idempotency_request_hash", String(64)),  # SHA-256 hex of the canonical body
    Column("payment_id", String(64)),
    Column("qr_code", Text),
    Column("qr_code_base64", Text),
    Column("payment_expires_at", DateTime(timezone=True)),
    Column("cancel_reason", Text),
    Column("needs_refund", Boolean, nullable=False, server_default="false"),
    Column("refunded", Boolean, nullable=False, server_default="false"),
    Column("charged_back", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_orders_customer", "customer_id", "created_at"),
    Index("ix_orders_status", "status", "created_at"),
    Index(
        "ux_orders_idempotency",
        "customer_id",
        "idempotency_key",
        unique=True,
        postgresql_where="idempotency_key IS NOT NULL",
    ),
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", PgUUID(as_uuid=True), ForeignKey("orders.id"), nullable=False, index=True),
    Column("product_id", PgUUID(as_uuid=True), nullable=False),
    Column("name", String(120), nullable=False),
    Column("unit_price", Numeric(10, 2), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("notes", String(500)),
)

status_history = Table(
    "order_status_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", PgUUID(as_uuid=True), ForeignKey("orders.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event_id", PgUUID(as_uuid=True)),
    Column("note", Text),
)

daily_counters = Table(
    "daily_counters",
    metadata,
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

# NOTIFY'd with the history row id in the transaction of every status change (live views).
STATUS_CHANNEL = "order_status"
BOARD_STATUSES = (OrderStatus.PAID, OrderStatus.IN_PREPARATION, OrderStatus.READY)


# The statements of the order-placing transaction are built once: a statement built per call
# (`.values(...)` with the call's values) makes SQLAlchemy walk it for a cache key on every
# execution, 7 % of the order API's CPU under load (docs/performance.md).
_NEXT_DISPLAY_SEQUENCE = (
    insert(daily_counters)
    .values(day=bindparam("day"), last=1)
    .on_conflict_do_update(index_elements=["day"], set_={"last": daily_counters.c.last + 1})
    .returning(daily_counters.c.last)
)
_INSERT_ORDER = orders.insert().returning(*orders.c)
_INSERT_ITEMS = order_items.insert().returning(*order_items.c, sort_by_parameter_order=True)
_new_history = (
    status_history.insert()
    .values(
        order_id=bindparam("order_id"),
        status=bindparam("status"),
        at=bindparam("at"),
        event_id=bindparam("event_id"),
        note=bindparam("note"),
    )
    .returning(status_history.c.id)
    .cte("new_history")
)
# One round trip: the row, and its NOTIFY (delivered at commit, never for a rollback).
_ADD_HISTORY = select(func.pg_notify(STATUS_CHANNEL, cast(_new_history.c.id, Text)))


async def next_display_sequence(session: AsyncSession, day: date) -> int:
    result = await session.execute(_NEXT_DISPLAY_SEQUENCE, {"day": day})
    return int(result.scalar_one())


async def insert_order(
    session: AsyncSession, order: dict[str, Any], lines: list[OrderLine]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Returns the rows as stored (RETURNING: no second read to answer the request)."""
    stored = (await session.execute(_INSERT_ORDER, order)).mappings().one()
    items = await session.execute(
        _INSERT_ITEMS,
        [
            {
                "order_id": order["id"],
                "product_id": line.product_id,
                "name": line.name,
                "unit_price": line.unit_price,
                "quantity": line.quantity,
                "notes": line.notes,
            }
            for line in lines
        ],
    )
    return dict(stored), [dict(row) for row in items.mappings().all()]


async def add_history(
    session: AsyncSession,
    order_id: UUID,
    status: OrderStatus,
    event_id: UUID | None = None,
    note: str | None = None,
) -> None:
    await session.execute(
        _ADD_HISTORY,
        {
            "order_id": order_id,
            "status": status.value,
            "at": datetime.now(UTC),
            "event_id": event_id,
            "note": note,
        },
    )


async def lock_order(session: AsyncSession, order_id: UUID) -> dict[str, Any] | None:
    row = (
        (await session.execute(select(orders).where(orders.c.id == order_id).with_for_update()))
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def update_order(session: AsyncSession, order_id: UUID, **values: Any) -> None:
    await session.execute(
        update(orders).where(orders.c.id == order_id).values(**values, updated_at=datetime.now(UTC))
    )


async def get_order(session: AsyncSession, order_id: UUID) -> dict[str, Any] | None:
    row = (await session.execute(select(orders).where(orders.c.id == order_id))).mappings().first()
    return dict(row) if row else None


async def find_by_idempotency_key(
    session: AsyncSession, customer_id: str, key: str
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(orders).where(
                    orders.c.customer_id == customer_id, orders.c.idempotency_key == key
                )
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def try_lock_idempotency_key(session: AsyncSession, customer_id: str, key: str) -> bool:
    """Take the transaction-scoped lock of one customer's key, without waiting.

    Concurrent requests with one key take turns on it: the one holding it creates the
    order, the next one finds that order once the first commits (the lock is released after
    the commit is visible). Two keys that hash alike only take turns, harmlessly.
    """
    result = await session.execute(
        select(func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("lock_name"), 0))),
        {"lock_name": f"order-idempotency:{customer_id}:{key}"},
    )
    return bool(result.scalar_one())


async def items_of(
    session: AsyncSession, order_ids: list[UUID]
) -> dict[UUID, list[dict[str, Any]]]:
    rows = (
        (
            await session.execute(
                select(order_items)
                .where(order_items.c.order_id.in_(order_ids))
                .order_by(order_items.c.id)
            )
        )
        .mappings()
        .all()
    )
    grouped: dict[UUID, list[dict[str, Any]]] = {order_id: [] for order_id in order_ids}
    for row in rows:
        grouped[row["order_id"]].append(dict(row))
    return grouped


async def history_of(session: AsyncSession, order_id: UUID) -> list[dict[str, Any]]:
    rows = (
        (
            await session.execute(
                select(status_history)
                .where(status_history.c.order_id == order_id)
                .order_by(status_history.c.id)
            )
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows]


async def orders_of_customer(
    session: AsyncSession, customer_id: str, limit: int
) -> list[dict[str, Any]]:
    rows = (
        (
            await session.execute(
                select(orders)
                .where(orders.c.customer_id == customer_id)
                .order_by(orders.c.created_at.desc())
                .limit(limit)
            )
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows]


async def active_orders(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
    """READY first, then IN_PREPARATION, PAID, AWAITING_PAYMENT; oldest first within each."""
    priority = case(
        {status.value: rank for rank, status in enumerate(ACTIVE_STATUSES)}, value=orders.c.status
    )
    rows = (
        (
            await session.execute(
                select(orders)
                .where(orders.c.status.in_([s.value for s in ACTIVE_STATUSES]))
                .order_by(priority, orders.c.created_at)
                .limit(limit)
            )
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows]


async def status_changes_after(
    session: AsyncSession, after_id: int, *, order_id: UUID | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """History rows with id > `after_id` (all orders, or one), with the display number."""
    query = (
        select(
            status_history.c.id,
            status_history.c.order_id,
            status_history.c.status,
            status_history.c.at,
            orders.c.display_number,
        )
        .join(orders, orders.c.id == status_history.c.order_id)
        .where(status_history.c.id > after_id)
        .order_by(status_history.c.id)
        .limit(limit)
    )
    if order_id is not None:
        query = query.where(status_history.c.order_id == order_id)
    return [dict(row) for row in (await session.execute(query)).mappings().all()]


async def last_status_change_id(session: AsyncSession) -> int:
    return int(
        (
            await session.execute(select(func.coalesce(func.max(status_history.c.id), 0)))
        ).scalar_one()
    )


async def board_orders(session: AsyncSession) -> list[dict[str, Any]]:
    """Display number and status of the orders a status board shows, oldest first."""
    rows = await session.execute(
        select(orders.c.display_number, orders.c.status)
        .where(orders.c.status.in_([s.value for s in BOARD_STATUSES]))
        .order_by(orders.c.created_at)
        .limit(500)
    )
    return [dict(row) for row in rows.mappings().all()]
