"""What the use cases need from the outside, passed in one `PaymentPorts` value."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from payment.gateway import PixCharge, RemotePayment
from payment.repository import PaymentRepository


class PaymentGateway(Protocol):
    """Mercado Pago (the SDK-backed `MercadoPagoGateway`, or a fake in unit tests)."""

    async def create_pix(self, charge: PixCharge) -> RemotePayment: ...
    async def get(self, payment_id: str) -> RemotePayment | None: ...
    async def cancel(self, payment_id: str) -> RemotePayment | None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PaymentPorts:
    repository: PaymentRepository
    gateway: PaymentGateway
    notification_url: str
    webhook_secret: str = field(repr=False)
    pix_expiration: timedelta = timedelta(minutes=30)
    webhook_tolerance_seconds: int = 300
    default_payer_email: str = "totem@fastfood.example"
    clock: Callable[[], datetime] = utc_now
