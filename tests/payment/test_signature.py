"""Webhook signature verification, against the simulator's signer."""

import time

import pytest

from infra.local.mercadopago_simulator import sign_webhook
from payment.signature import InvalidSignature, normalize_data_id, verify_signature

SECRET = "webhook-secret"
REQUEST_ID = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e"


def now_ms() -> int:
    return int(time.time() * 1000)


def verify(
    header: str | None,
    data_id: str | None = "123",
    request_id: str | None = REQUEST_ID,
    at: int | None = None,
) -> None:
    verify_signature(
        header, request_id, data_id, SECRET, now_ms=at or now_ms(), tolerance_seconds=300
    )


def test_a_fresh_signature_in_milliseconds_is_accepted() -> None:
    verify(sign_webhook(SECRET, "123", REQUEST_ID, now_ms()))


def test_a_signature_with_ts_in_seconds_is_accepted_too() -> None:
    verify(sign_webhook(SECRET, "123", REQUEST_ID, int(time.time())))


@pytest.mark.parametrize("header", [None, "", "garbage", "ts=123", "v1=abc", "ts=abc,v1=abc"])
def test_missing_or_malformed_signature_is_refused(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify(header)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="SignatureMismatch"):
        verify(sign_webhook("not-the-secret", "123", REQUEST_ID, now_ms()))


@pytest.mark.parametrize(("data_id", "request_id"), [("124", REQUEST_ID), ("123", "other")])
def test_a_signature_for_another_payment_or_request_is_refused(
    data_id: str, request_id: str
) -> None:
    with pytest.raises(InvalidSignature):
        verify(sign_webhook(SECRET, "123", REQUEST_ID, now_ms()), data_id, request_id)


@pytest.mark.parametrize("skew_seconds", [-301, 301])
def test_a_stale_or_future_timestamp_is_refused(skew_seconds: int) -> None:
    header = sign_webhook(SECRET, "123", REQUEST_ID, now_ms() + skew_seconds * 1000)
    with pytest.raises(InvalidSignature, match="TimestampOutOfTolerance"):
        verify(header)


def test_alphanumeric_data_id_is_lowercased_before_signing_checks() -> None:
    assert normalize_data_id("ABC123") == "abc123"
    assert normalize_data_id("a-B") == "a-B"
    verify(sign_webhook(SECRET, "abc123", REQUEST_ID, now_ms()), data_id="ABC123")
