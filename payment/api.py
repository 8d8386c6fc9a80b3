"""Payment HTTP API: the Mercado Pago webhook (public) and payment reads (owner or staff)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel

from common.money import Money
from common.security import CurrentUser
from payment import service
from payment.domain import Payment, PaymentStatus
from payment.ports import PaymentPorts

router = APIRouter(tags=["payment"])


class PaymentView(BaseModel):
    payment_id: str
    order_id: UUID
    status: PaymentStatus
    status_detail: str | None
    amount: Money
    qr_code: str
    qr_code_base64: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, payment: Payment) -> "PaymentView":
        return cls(
            payment_id=payment.payment_id,
            order_id=UUID(payment.order_id),
            status=payment.status,
            status_detail=payment.status_detail,
            amount=payment.amount,
            qr_code=payment.qr_code,
            qr_code_base64=payment.qr_code_base64,
            expires_at=payment.expires_at,
            created_at=payment.created_at,
            updated_at=payment.updated_at,
        )


class WebhookAck(BaseModel):
    status: Literal["ok", "ignored"]


def _ports(request: Request) -> PaymentPorts:
    ports: PaymentPorts = request.app.state.ports
    return ports


@router.post(
    "/webhook",
    response_model=WebhookAck,
    summary="Mercado Pago notification (Webhooks, IPN topic/id, merchant_order)",
    description=(
        "Recorded and answered at once; the payment worker re-fetches the payment from"
        " Mercado Pago. Unsigned notifications (IPN) and forged ones schedule a rate-limited"
        " re-fetch; the body is never trusted."
    ),
    responses={
        401: {"description": "Forged or stale x-signature (a re-fetch is still scheduled)"},
        404: {"description": "No payment of ours has this id"},
    },
)
async def webhook(
    request: Request,
    data_id: Annotated[str | None, Query(alias="data.id", max_length=64)] = None,
    kind: Annotated[str | None, Query(alias="type", max_length=64)] = None,
    ipn_id: Annotated[str | None, Query(alias="id", max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    x_signature: Annotated[str | None, Header(max_length=512)] = None,
    x_request_id: Annotated[str | None, Header(max_length=128)] = None,
) -> WebhookAck:
    outcome = await service.handle_webhook(
        _ports(request),
        data_id=data_id or ipn_id,
        kind=kind or topic,
        x_signature=x_signature,
        x_request_id=x_request_id,
    )
    return WebhookAck(status=outcome)


@router.get("/order/{order_id}", response_model=PaymentView, summary="The payment of an order")
async def payment_of_order(order_id: UUID, request: Request, principal: CurrentUser) -> PaymentView:
    payment = await service.visible_payment(
        _ports(request).repository, principal, order_id=str(order_id)
    )
    return PaymentView.of(payment)


@router.get("/{payment_id}", response_model=PaymentView, summary="A payment")
async def get_payment(
    payment_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z-]+$")],
    request: Request,
    principal: CurrentUser,
) -> PaymentView:
    payment = await service.visible_payment(
        _ports(request).repository, principal, payment_id=payment_id
    )
    return PaymentView.of(payment)
