import json
from decimal import Decimal
from uuid import uuid4

import pytest

from common.events import (
    DESTINATIONS,
    EVENT_TYPES,
    OrderPaymentRequested,
    PaymentApproved,
    PoisonMessage,
    new_envelope,
    parse_message,
)
from common.schema_export import SCHEMA_DIR, render, schema_filename


def approved(amount: str = "25.90") -> PaymentApproved:
    return PaymentApproved(
        order_id=uuid4(), payment_id="123", amount=amount, approved_at="2026-11-23T12:00:00Z"
    )


def test_committed_json_schemas_match_the_models() -> None:
    for event_type in EVENT_TYPES:
        path = SCHEMA_DIR / schema_filename(event_type)
        assert path.exists(), f"missing {path.name}: run `python -m common.schema_export`"
        assert path.read_text() == render(event_type), (
            f"{path.name} drifted from the model: run `python -m common.schema_export`"
        )
    names = {p.name for p in SCHEMA_DIR.glob("*.json")}
    assert names == {schema_filename(t) for t in EVENT_TYPES}, "stale schema files"


def test_every_event_has_a_destination() -> None:
    assert set(DESTINATIONS) == {t.event_name for t in EVENT_TYPES}


def test_envelope_round_trips_and_money_is_a_string() -> None:
    envelope = new_envelope(approved(), source="payment-service")
    raw = json.loads(envelope.to_json())
    assert raw["payload"]["amount"] == "25.90"
    assert raw["meta"]["event_name"] == "payment-approved"
    assert raw["meta"]["occurred_at"].endswith("Z")
    parsed = parse_message(envelope.to_json())
    assert parsed.payload == envelope.payload
    assert parsed.to_json() == envelope.to_json()


def test_money_rejects_floats_and_fractions_of_cents() -> None:
    with pytest.raises(ValueError):
        approved(amount=25.9)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        approved(amount="25.901")
    assert approved(amount="7").amount == Decimal("7.00")


@pytest.mark.parametrize(
    "body, reason",
    [
        ("not json", "not JSON"),
        ("[]", "envelope"),
        ('{"meta": {}, "payload": {}}', "invalid meta"),
    ],
)
def test_malformed_bodies_are_poison(body: str, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        parse_message(body)


def test_unknown_version_and_bad_payload_are_poison() -> None:
    raw = json.loads(new_envelope(approved(), source="payment-service").to_json())
    raw["meta"]["event_version"] = 99
    with pytest.raises(PoisonMessage, match="unknown event"):
        parse_message(json.dumps(raw))
    raw["meta"]["event_version"] = 1
    raw["payload"]["amount"] = 12.5
    with pytest.raises(PoisonMessage, match="invalid payment-approved payload"):
        parse_message(json.dumps(raw))


def test_payment_request_needs_items() -> None:
    with pytest.raises(ValueError):
        OrderPaymentRequested(order_id=uuid4(), amount="1.00", customer={"id": "c"}, items=[])
