"""payment-service-queue: payment requests and order cancellations, each applied once."""

from typing import cast

from common.events import Envelope, Event, OrderCancelled, OrderPaymentRequested, PoisonMessage
from common.messaging import Handler
from payment import service
from payment.gateway import PaymentRefused
from payment.ports import PaymentPorts


def handlers(ports: PaymentPorts) -> dict[str, Handler]:
    async def on_payment_requested(envelope: Envelope[Event]) -> None:
        try:
            await service.request_payment(ports, cast(Envelope[OrderPaymentRequested], envelope))
        except PaymentRefused as exc:  # Mercado Pago will never accept this request
            raise PoisonMessage(f"mercado pago refused the payment: {exc}") from exc

    async def on_order_cancelled(envelope: Envelope[Event]) -> None:
        await service.cancel_for_order(ports, cast(Envelope[OrderCancelled], envelope))

    return {
        OrderPaymentRequested.event_name: on_payment_requested,
        OrderCancelled.event_name: on_order_cancelled,
    }
