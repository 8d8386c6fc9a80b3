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
    async def refund(self, payment_id: str) -> RemotePayment | None: ...


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
    # Reconciliation (docs/payment.md): when a pending payment is first re-fetched, how
    # often after, how many per pass, and how often one notification may force a re-fetch.
    pending_check_after: timedelta = timedelta(seconds=20)
    pending_check_every: timedelta = timedelta(seconds=30)
    notification_min_interval: timedelta = timedelta(seconds=2)
    unverified_min_interval: timedelta = timedelta(seconds=30)
    # Creation through an outage: backoff 2 s doubling to the cap, given up after horizon.
    creation_backoff_base: timedelta = timedelta(seconds=2)
    creation_backoff_cap: timedelta = timedelta(seconds=60)
    creation_horizon: timedelta = timedelta(minutes=20)
