from decimal import Decimal
from uuid import uuid4

import pytest

from order.domain import (
    CatalogProduct,
    OrderStatus,
    Outcome,
    RequestedItem,
    UnknownProducts,
    display_number,
    is_same_request,
    on_cancel_request,
    on_kitchen_event,
    on_payment_approved,
    on_payment_failed,
    on_payment_refunded,
    price_order,
    request_fingerprint,
)

S = OrderStatus


def test_order_lines_snapshot_catalog_name_and_price_and_total() -> None:
    burger, soda = uuid4(), uuid4()
    products = {
        burger: CatalogProduct(burger, "X-Burger", Decimal("25.90")),
        soda: CatalogProduct(soda, "Refrigerante", Decimal("7.5")),
    }
    lines, total = price_order(
        [RequestedItem(burger, 2, "sem cebola"), RequestedItem(soda, 1)], products
    )
    assert [(line.name, line.unit_price, line.quantity) for line in lines] == [
        ("X-Burger", Decimal("25.90"), 2),
        ("Refrigerante", Decimal("7.50"), 1),
    ]
    assert lines[0].notes == "sem cebola"
    assert total == Decimal("59.30")


def test_unknown_products_are_reported_all_at_once() -> None:
    known, a, b = uuid4(), uuid4(), uuid4()
    products = {known: CatalogProduct(known, "X", Decimal("1.00"))}
    with pytest.raises(UnknownProducts) as err:
        price_order([RequestedItem(a, 1), RequestedItem(known, 1), RequestedItem(b, 1)], products)
    assert set(err.value.product_ids) == {a, b}


def test_payment_approval_moves_only_an_awaiting_order() -> None:
    assert on_payment_approved(S.AWAITING_PAYMENT) is Outcome.MOVE
    for status in (S.PAID, S.IN_PREPARATION, S.READY, S.DELIVERED):
        assert on_payment_approved(status) is Outcome.IGNORE


def test_late_approval_of_a_cancelled_order_is_flagged_for_refund() -> None:
    assert on_payment_approved(S.CANCELLED) is Outcome.LATE_APPROVAL


def test_failed_payment_cancels_only_an_awaiting_order() -> None:
    assert on_payment_failed(S.AWAITING_PAYMENT) is Outcome.MOVE
    for status in (S.PAID, S.READY, S.DELIVERED, S.CANCELLED):
        assert on_payment_failed(status) is Outcome.IGNORE


@pytest.mark.parametrize(
    "current, target, outcome",
    [
        (S.PAID, S.IN_PREPARATION, Outcome.MOVE),
        (S.IN_PREPARATION, S.READY, Outcome.MOVE),
        (S.READY, S.DELIVERED, Outcome.MOVE),
        (S.PAID, S.READY, Outcome.MOVE),  # completed overtook started
        (S.READY, S.IN_PREPARATION, Outcome.IGNORE),  # the late started
        (S.DELIVERED, S.READY, Outcome.IGNORE),
        (S.IN_PREPARATION, S.IN_PREPARATION, Outcome.IGNORE),
        (S.AWAITING_PAYMENT, S.IN_PREPARATION, Outcome.IGNORE),
        (S.CANCELLED, S.IN_PREPARATION, Outcome.IGNORE),
    ],
)
def test_kitchen_events_never_move_an_order_backwards(
    current: OrderStatus, target: OrderStatus, outcome: Outcome
) -> None:
    assert on_kitchen_event(current, target) is outcome


def test_display_numbers_are_short_and_roll_over_letters() -> None:
    assert display_number(1) == "A-001"
    assert display_number(42) == "A-042"
    assert display_number(999) == "A-999"
    assert display_number(1000) == "B-001"


def test_request_fingerprint_ignores_key_order_and_tells_bodies_apart() -> None:
    one = request_fingerprint({"items": [{"product_id": "p", "quantity": 1}], "cpf": None})
    same = request_fingerprint({"cpf": None, "items": [{"quantity": 1, "product_id": "p"}]})
    other = request_fingerprint({"items": [{"product_id": "p", "quantity": 2}], "cpf": None})
    assert one == same != other
    assert is_same_request(one, same) and not is_same_request(one, other)
    assert is_same_request(None, other)  # an order stored before fingerprints existed


def test_only_an_unpaid_order_can_be_cancelled_and_cancelling_twice_changes_nothing() -> None:
    assert on_cancel_request(S.AWAITING_PAYMENT) is Outcome.MOVE
    assert on_cancel_request(S.CANCELLED) is Outcome.IGNORE
    for paid in (S.PAID, S.IN_PREPARATION, S.READY, S.DELIVERED):
        assert on_cancel_request(paid) is Outcome.REFUSE


def test_a_wrong_amount_refund_cancels_an_order_the_kitchen_has_not_started() -> None:
    assert on_payment_refunded(S.AWAITING_PAYMENT, "amount_mismatch") is Outcome.MOVE
    assert on_payment_refunded(S.PAID, "amount_mismatch") is Outcome.MOVE
    for later in (S.IN_PREPARATION, S.READY, S.DELIVERED, S.CANCELLED):
        assert on_payment_refunded(later, "amount_mismatch") is Outcome.IGNORE
    for reason in ("late_approval", "refunded_at_provider"):
        for status in S:
            assert on_payment_refunded(status, reason) is Outcome.IGNORE
