"""The payment state machine: every Mercado Pago status, monotonic moves, late approvals."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from payment.domain import (
    Payment,
    PaymentStatus,
    Transition,
    UnknownMercadoPagoStatus,
    map_mercadopago_status,
    next_transition,
    owner_can_see,
    transition_for_cancelled_order,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)
S = PaymentStatus


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("pending", "pending_waiting_transfer", S.PENDING),
        ("in_process", "pending_review_manual", S.PENDING),
        ("in_mediation", None, S.PENDING),
        ("authorized", None, S.PENDING),
        ("approved", "accredited", S.APPROVED),
        ("rejected", "cc_rejected_other_reason", S.REJECTED),
        ("cancelled", "expired", S.EXPIRED),
        ("cancelled", "by_collector", S.CANCELLED),
        ("cancelled", "by_payer", S.CANCELLED),
        ("refunded", "refunded", S.REFUNDED),
        ("charged_back", "settled", S.CHARGED_BACK),
    ],
)
def test_every_mercadopago_status_maps_to_our_state(
    status: str, detail: str | None, expected: PaymentStatus
) -> None:
    assert map_mercadopago_status(status, detail, LATER, NOW) is expected


def test_cancelled_after_its_expiration_date_is_an_expiry() -> None:
    past = NOW - timedelta(seconds=1)
    assert map_mercadopago_status("cancelled", None, past, NOW) is S.EXPIRED
    assert map_mercadopago_status("cancelled", None, None, NOW) is S.CANCELLED


def test_pending_past_its_expiration_date_is_still_pending() -> None:
    assert map_mercadopago_status("pending", None, NOW - timedelta(hours=1), NOW) is S.PENDING


def test_unknown_mercadopago_status_is_refused() -> None:
    with pytest.raises(UnknownMercadoPagoStatus):
        map_mercadopago_status("teleported", None, None, NOW)


@pytest.mark.parametrize(
    ("observed", "publish"),
    [
        (S.APPROVED, "approved"),
        (S.REJECTED, "rejected"),
        (S.EXPIRED, "expired"),
        (S.CANCELLED, "rejected"),
        (S.REFUNDED, "rejected"),
    ],
)
def test_a_pending_payment_reaching_a_final_state_tells_the_order(
    observed: PaymentStatus, publish: str
) -> None:
    assert next_transition(S.PENDING, observed) == Transition(observed, publish=publish)


@pytest.mark.parametrize("current", list(PaymentStatus))
def test_pending_is_not_a_change_and_a_final_state_never_goes_back(current: PaymentStatus) -> None:
    assert next_transition(current, S.PENDING) is None
    assert next_transition(current, current) is None


@pytest.mark.parametrize("current", [S.APPROVED, S.REFUNDED])
@pytest.mark.parametrize("observed", [S.REJECTED, S.EXPIRED, S.CANCELLED])
def test_a_failure_never_overrides_an_approval_or_refund(
    current: PaymentStatus, observed: PaymentStatus
) -> None:
    assert next_transition(current, observed) is None


@pytest.mark.parametrize("current", [S.REJECTED, S.EXPIRED, S.CANCELLED])
@pytest.mark.parametrize("observed", [S.REJECTED, S.EXPIRED, S.CANCELLED])
def test_one_failure_never_turns_into_another(
    current: PaymentStatus, observed: PaymentStatus
) -> None:
    assert next_transition(current, observed) is None


@pytest.mark.parametrize("current", [S.REJECTED, S.EXPIRED, S.CANCELLED])
def test_late_approval_is_flagged_for_refund_and_not_published(current: PaymentStatus) -> None:
    transition = next_transition(current, S.APPROVED)
    assert transition == Transition(
        current, publish=None, late_approval=True, needs_refund=True, refund_reason="late_approval"
    )


def test_refund_at_mercadopago_after_approval_is_announced() -> None:
    assert next_transition(S.APPROVED, S.REFUNDED) == Transition(
        S.REFUNDED, publish="refunded", needs_refund=False, refund_reason="refunded_at_provider"
    )


def test_charge_back_after_approval_is_announced() -> None:
    assert next_transition(S.APPROVED, S.CHARGED_BACK) == Transition(
        S.CHARGED_BACK, publish="charged_back", needs_refund=False
    )


def test_approval_of_another_amount_is_refunded_not_published() -> None:
    transition = next_transition(S.PENDING, S.APPROVED, amount_matches=False)
    assert transition == Transition(S.APPROVED, needs_refund=True, refund_reason="amount_mismatch")


def test_our_refund_keeps_its_reason() -> None:
    transition = next_transition(S.APPROVED, S.REFUNDED, refund_reason="amount_mismatch")
    assert transition is not None and transition.refund_reason == "amount_mismatch"


def test_cancelled_order_cancels_a_pending_payment_silently_and_flags_a_paid_one() -> None:
    assert transition_for_cancelled_order(S.PENDING) == Transition(S.CANCELLED)
    assert transition_for_cancelled_order(S.APPROVED) == Transition(
        S.APPROVED, needs_refund=True, refund_reason="late_approval"
    )
    for settled in (S.REJECTED, S.EXPIRED, S.CANCELLED, S.REFUNDED):
        assert transition_for_cancelled_order(settled) is None


def payment(status: PaymentStatus = S.PENDING) -> Payment:
    return Payment(
        payment_id="123",
        order_id="o-1",
        customer_id="c-1",
        amount=Decimal("25.90"),
        status=status,
        status_detail="pending_waiting_transfer",
        qr_code="000201",
        qr_code_base64="iVBOR",
        ticket_url=None,
        expires_at=LATER,
        created_at=NOW,
        updated_at=NOW,
    )


def test_applying_a_transition_bumps_the_version_and_records_the_approval_time() -> None:
    approved_at = NOW + timedelta(minutes=1)
    later = NOW + timedelta(minutes=2)
    updated = payment().apply(Transition(S.APPROVED, "approved"), "accredited", later, approved_at)
    assert (updated.status, updated.status_detail, updated.version) == (S.APPROVED, "accredited", 2)
    assert (updated.approved_at, updated.updated_at) == (approved_at, later)


def test_late_approval_keeps_the_failed_status_and_needs_refund() -> None:
    expired = payment(S.EXPIRED)
    transition = next_transition(S.EXPIRED, S.APPROVED)
    assert transition is not None
    updated = expired.apply(transition, "accredited", NOW)
    assert (updated.status, updated.late_approval, updated.needs_refund) == (S.EXPIRED, True, True)
    assert updated.approved_at == NOW
    refunded_transition = next_transition(updated.status, S.REFUNDED)
    assert refunded_transition is not None
    refunded = updated.apply(refunded_transition, "refunded", NOW)
    assert (refunded.status, refunded.needs_refund, refunded.late_approval) == (
        S.REFUNDED,
        False,
        True,
    )


def test_only_the_owner_or_staff_can_see_a_payment() -> None:
    assert owner_can_see(payment(), "c-1", is_staff=False)
    assert not owner_can_see(payment(), "c-2", is_staff=False)
    assert owner_can_see(payment(), "anyone", is_staff=True)
