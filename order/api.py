"""HTTP routes of the order service (mounted under /order)."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.errors import Forbidden, NotFound
from common.money import Money
from common.security import CurrentUser, CustomerUser, Principal, StaffUser
from order import repository as repo
from order import service
from order.catalog import CatalogClient
from order.domain import (
    MAX_LINES_PER_ORDER,
    OrderStatus,
    RequestedItem,
    is_valid_cpf,
    request_fingerprint,
)

router = APIRouter(tags=["order"])


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: UUID
    quantity: int = Field(ge=1, le=20)
    notes: str | None = Field(default=None, max_length=200)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    cpf: str | None = Field(
        default=None,
        pattern=r"^\d{11}$",
        description="The payer's CPF for Mercado Pago (payer.identification): 11 digits. "
        "Tokens carry no CPF, so the totem sends it here when the customer gives one.",
        examples=["12345678909"],
    )

    @field_validator("cpf")
    @classmethod
    def _valid_cpf(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_cpf(value):
            raise ValueError("CPF check digits do not match")
        return value


class ItemOut(BaseModel):
    product_id: UUID
    name: str
    unit_price: Money
    quantity: int
    notes: str | None


class PaymentOut(BaseModel):
    payment_id: str
    qr_code: str | None
    qr_code_base64: str | None
    expires_at: datetime | None


class OrderOut(BaseModel):
    id: UUID
    display_number: str
    status: OrderStatus
    customer_id: str
    customer_name: str | None
    total: Money
    items: list[ItemOut]
    payment: PaymentOut | None
    cancel_reason: str | None
    needs_refund: bool
    refunded: bool = Field(description="Mercado Pago gave the money back (history: why)")
    charged_back: bool = Field(description="The customer disputed the Pix with their bank")
    created_at: datetime
    updated_at: datetime


class HistoryOut(BaseModel):
    status: OrderStatus
    at: datetime
    event_id: UUID | None
    note: str | None


async def sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return factory


Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(sessions)]


def _view(order: dict[str, Any], items: list[dict[str, Any]]) -> OrderOut:
    payment = None
    if order["payment_id"]:
        payment = PaymentOut(
            payment_id=order["payment_id"],
            qr_code=order["qr_code"],
            qr_code_base64=order["qr_code_base64"],
            expires_at=order["payment_expires_at"],
        )
    return OrderOut(
        **{
            k: order[k]
            for k in (
                "id",
                "display_number",
                "status",
                "customer_id",
                "customer_name",
                "total",
                "cancel_reason",
                "needs_refund",
                "refunded",
                "charged_back",
                "created_at",
                "updated_at",
            )
        },
        items=[ItemOut(**item) for item in items],
        payment=payment,
    )


async def _views(session: AsyncSession, orders: list[dict[str, Any]]) -> list[OrderOut]:
    items = await repo.items_of(session, [o["id"] for o in orders])
    return [_view(o, items[o["id"]]) for o in orders]


async def readable_order(session: AsyncSession, order_id: UUID, user: Principal) -> dict[str, Any]:
    order = await repo.get_order(session, order_id)
    if order is None:
        raise NotFound("order not found")
    if not user.is_staff and order["customer_id"] != user.subject:
        raise Forbidden("this order belongs to another customer")
    return order


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    responses={
        200: {"model": OrderOut, "description": "Idempotency-Key replay: the first order"},
        409: {
            "description": "The first request with this Idempotency-Key is still being "
            "written; retry after Retry-After seconds",
            "headers": {"Retry-After": {"schema": {"type": "string"}, "required": True}},
        },
        422: {"description": "Invalid body, unknown products, or a reused Idempotency-Key"},
    },
)
async def create_order(
    body: OrderIn,
    request: Request,
    response: Response,
    db: Sessions,
    customer: CustomerUser,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> OrderOut:
    catalog: CatalogClient = request.app.state.catalog
    items = [RequestedItem(i.product_id, i.quantity, i.notes) for i in body.items]
    idempotency = None
    if idempotency_key:
        fingerprint = request_fingerprint(body.model_dump(mode="json"))
        idempotency = service.IdempotencyKey(idempotency_key, fingerprint)
    placed = await service.place_order(
        db, catalog.products, customer, items, idempotency, cpf=body.cpf
    )
    if placed.row is not None:  # just written: answer from the stored rows, no second read
        return _view(placed.row, placed.items)
    response.status_code = status.HTTP_200_OK  # an Idempotency-Key replay
    async with db() as session:
        order = await repo.get_order(session, placed.id)
        assert order is not None
        return (await _views(session, [order]))[0]


@router.get("/mine", response_model=list[OrderOut])
async def my_orders(
    db: Sessions, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[OrderOut]:
    async with db() as session:
        return await _views(session, await repo.orders_of_customer(session, user.subject, limit))


@router.get("", response_model=list[OrderOut])
async def active_orders(
    db: Sessions, _: StaffUser, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[OrderOut]:
    async with db() as session:
        return await _views(session, await repo.active_orders(session, limit))


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(order_id: UUID, db: Sessions, user: CurrentUser) -> OrderOut:
    async with db() as session:
        return (await _views(session, [await readable_order(session, order_id, user)]))[0]


@router.post(
    "/{order_id}/cancel",
    response_model=OrderOut,
    responses={
        403: {"description": "The order belongs to another customer"},
        409: {"description": "The order is paid (or further along): it cannot be cancelled"},
    },
)
async def cancel_order(order_id: UUID, db: Sessions, user: CurrentUser) -> OrderOut:
    """The owner or staff cancels an order still awaiting payment; repeating it is a no-op."""
    await service.cancel_order(db, order_id, user)
    return await get_order(order_id, db, user)


@router.get("/{order_id}/history", response_model=list[HistoryOut])
async def order_history(order_id: UUID, db: Sessions, user: CurrentUser) -> list[HistoryOut]:
    async with db() as session:
        await readable_order(session, order_id, user)
        return [HistoryOut(**row) for row in await repo.history_of(session, order_id)]
