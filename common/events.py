"""The shared message schema: one envelope, one pydantic model per event name and version.

Every SQS body is `{"meta": {...}, "payload": {...}}`. Consumers parse with
`parse_message`, which raises `PoisonMessage` for anything that is not a known event.
"""

import json
from datetime import UTC, datetime
from typing import ClassVar, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from common.money import Money


class PoisonMessage(Exception):
    """A message that can never be handled: it must end in the DLQ, never be dropped."""


class EventMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID
    event_name: str = Field(min_length=1, max_length=64)
    event_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    source: str = Field(min_length=1, max_length=64)
    correlation_id: UUID
    causation_id: UUID | None = None


class Event(BaseModel):
    """Base of every event payload; subclasses set the name and version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_name: ClassVar[str]
    event_version: ClassVar[int] = 1


P = TypeVar("P", bound=Event)


class Envelope(BaseModel, Generic[P]):
    model_config = ConfigDict(extra="forbid", frozen=True)

    meta: EventMeta
    payload: P

    def to_json(self) -> str:
        # serialize_as_any: an Envelope[Event] built by parse_message must keep its payload.
        return self.model_dump_json(serialize_as_any=True)


# ---- payloads -------------------------------------------------------------------------


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    cpf: str | None = Field(default=None, pattern=r"^\d{11}$")


class ChargedItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    quantity: int = Field(ge=1, le=100)
    unit_price: Money


class KitchenItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    quantity: int = Field(ge=1, le=100)
    notes: str | None = Field(default=None, max_length=500)


class OrderPaymentRequested(Event):
    event_name: ClassVar[str] = "order-payment-requested"
    order_id: UUID
    display_number: str | None = None
    amount: Money
    customer: Customer
    items: list[ChargedItem] = Field(min_length=1)


class PaymentCreated(Event):
    event_name: ClassVar[str] = "payment-created"
    order_id: UUID
    payment_id: str
    amount: Money
    qr_code: str
    qr_code_base64: str
    expires_at: AwareDatetime


class PaymentApproved(Event):
    event_name: ClassVar[str] = "payment-approved"
    order_id: UUID
    payment_id: str
    amount: Money
    approved_at: AwareDatetime


class PaymentRejected(Event):
    event_name: ClassVar[str] = "payment-rejected"
    order_id: UUID
    payment_id: str
    reason: str


class PaymentExpired(Event):
    event_name: ClassVar[str] = "payment-expired"
    order_id: UUID
    payment_id: str
    reason: str


class PaymentRefunded(Event):
    """Money went back to the customer: a late approval, a cancelled order, a wrong amount,
    or a refund made at Mercado Pago after approval."""

    event_name: ClassVar[str] = "payment-refunded"
    order_id: UUID
    payment_id: str
    amount: Money
    reason: str = Field(min_length=1, max_length=64)


class PaymentChargedBack(Event):
    """The customer disputed an approved Pix with their bank and the money was taken back."""

    event_name: ClassVar[str] = "payment-charged-back"
    order_id: UUID
    payment_id: str
    amount: Money


class PaymentCreationFailed(Event):
    """Mercado Pago could not create the charge within the retry horizon; the order cannot
    be paid and should be cancelled."""

    event_name: ClassVar[str] = "payment-creation-failed"
    order_id: UUID
    reason: str = Field(min_length=1, max_length=200)


class OrderPaid(Event):
    event_name: ClassVar[str] = "order-paid"
    order_id: UUID
    display_number: str | None = None
    items: list[KitchenItem] = Field(min_length=1)
    customer_name: str | None = None
    paid_at: AwareDatetime


class ProductionStarted(Event):
    event_name: ClassVar[str] = "production-started"
    order_id: UUID
    production_id: str
    at: AwareDatetime


class ProductionCompleted(Event):
    event_name: ClassVar[str] = "production-completed"
    order_id: UUID
    production_id: str
    at: AwareDatetime


class ProductionDelivered(Event):
    event_name: ClassVar[str] = "production-delivered"
    order_id: UUID
    production_id: str
    at: AwareDatetime


class OrderCancelled(Event):
    event_name: ClassVar[str] = "order-cancelled"
    order_id: UUID
    reason: str


EVENT_TYPES: tuple[type[Event], ...] = (
    OrderPaymentRequested,
    PaymentCreated,
    PaymentApproved,
    PaymentRejected,
    PaymentExpired,
    PaymentRefunded,
    PaymentChargedBack,
    PaymentCreationFailed,
    OrderPaid,
    ProductionStarted,
    ProductionCompleted,
    ProductionDelivered,
    OrderCancelled,
)
EVENT_REGISTRY: dict[tuple[str, int], type[Event]] = {
    (cls.event_name, cls.event_version): cls for cls in EVENT_TYPES
}

# Which queues (by owning service) receive each event; the one routing table of the system.
DESTINATIONS: dict[str, tuple[str, ...]] = {
    OrderPaymentRequested.event_name: ("payment",),
    PaymentCreated.event_name: ("order",),
    PaymentApproved.event_name: ("order",),
    PaymentRejected.event_name: ("order",),
    PaymentExpired.event_name: ("order",),
    PaymentRefunded.event_name: ("order",),
    PaymentChargedBack.event_name: ("order",),
    PaymentCreationFailed.event_name: ("order",),
    OrderPaid.event_name: ("production",),
    ProductionStarted.event_name: ("order",),
    ProductionCompleted.event_name: ("order",),
    ProductionDelivered.event_name: ("order",),
    OrderCancelled.event_name: ("production", "payment"),
}


def new_envelope(
    event: P,
    *,
    source: str,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    event_id: UUID | None = None,
) -> Envelope[P]:
    meta = EventMeta(
        event_id=event_id or uuid4(),
        event_name=event.event_name,
        event_version=event.event_version,
        occurred_at=datetime.now(UTC),
        source=source,
        correlation_id=correlation_id or uuid4(),
        causation_id=causation_id,
    )
    return Envelope[P](meta=meta, payload=event)


def parse_message(body: str) -> Envelope[Event]:
    """Parse and validate an SQS body; anything unknown or malformed is poison."""
    try:
        raw = json.loads(body)
    except ValueError as exc:
        raise PoisonMessage(f"body is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or set(raw) != {"meta", "payload"}:
        raise PoisonMessage("body is not an envelope with exactly 'meta' and 'payload'")
    try:
        meta = EventMeta.model_validate(raw["meta"])
    except ValidationError as exc:
        raise PoisonMessage(f"invalid meta: {_errors(exc)}") from exc
    event_type = EVENT_REGISTRY.get((meta.event_name, meta.event_version))
    if event_type is None:
        raise PoisonMessage(f"unknown event {meta.event_name!r} version {meta.event_version}")
    try:
        payload = event_type.model_validate(raw["payload"])
    except ValidationError as exc:
        raise PoisonMessage(f"invalid {meta.event_name} payload: {_errors(exc)}") from exc
    return Envelope[Event](meta=meta, payload=payload)


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
    )
