"""Catalog domain: product rules, categories and batch look-ups."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from catalog.domain import (
    MAX_BATCH_IDS,
    Category,
    Product,
    ProductDraft,
    batch_result,
    check_batch_ids,
)

VALID: dict[str, Any] = {
    "name": "X-Burger",
    "description": "Pão, carne e queijo",
    "price": "25.90",
    "category": "Lanche",
    "image_url": "https://cdn.example.com/x-burger.png",
}


def product(active: bool = True, product_id: UUID | None = None) -> Product:
    now = datetime.now(UTC)
    return Product(**VALID, id=product_id or uuid4(), active=active, created_at=now, updated_at=now)


def test_the_menu_has_exactly_four_categories() -> None:
    assert [c.value for c in Category] == ["Lanche", "Acompanhamento", "Bebida", "Sobremesa"]


def test_a_valid_draft_keeps_its_values() -> None:
    draft = ProductDraft(**VALID)
    assert draft.price == Decimal("25.90") and draft.category is Category.LANCHE
    assert draft.image_url == VALID["image_url"]


def test_optional_fields_default_to_empty() -> None:
    draft = ProductDraft(name="Água", price="4.00", category="Bebida")
    assert (draft.description, draft.image_url) == ("", None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 121),
        ("description", "x" * 1001),
        ("price", "0"),
        ("price", "0.00"),
        ("price", "-1.00"),
        ("price", "10000.00"),
        ("price", "1.999"),
        ("price", 25.9),
        ("price", True),
        ("price", "abc"),
        ("category", "Pizza"),
        ("category", "lanche"),
        ("image_url", "ftp://cdn.example.com/x.png"),
        ("image_url", "javascript:alert(1)"),
        ("image_url", "/relative/x.png"),
        ("image_url", "https:///no-host.png"),
        ("image_url", "https://cdn.example.com/a b.png"),
        ("image_url", "https://cdn.example.com/" + "x" * 2048),
    ],
)
def test_invalid_product_fields_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        ProductDraft(**{**VALID, field: value})


@pytest.mark.parametrize("price", ["0.01", "9999.99", "12", "7.5"])
def test_prices_within_bounds_are_accepted(price: str) -> None:
    assert ProductDraft(**{**VALID, "price": price}).price == Decimal(price)


def test_names_are_trimmed() -> None:
    assert ProductDraft(**{**VALID, "name": "  Batata  "}).name == "Batata"


def test_batch_returns_active_products_in_request_order_and_the_rest_as_missing() -> None:
    first, second, withdrawn = product(), product(), product(active=False)
    unknown = uuid4()
    requested = [second.id, unknown, first.id, withdrawn.id]
    result = batch_result(requested, [first, withdrawn, second])
    assert [p.id for p in result.products] == [second.id, first.id]
    assert result.missing == [unknown, withdrawn.id]


def test_batch_ids_are_deduplicated_in_order() -> None:
    a, b = uuid4(), uuid4()
    assert check_batch_ids([a, b, a]) == [a, b]


def test_batch_needs_between_one_and_fifty_ids() -> None:
    assert len(check_batch_ids([uuid4() for _ in range(MAX_BATCH_IDS)])) == MAX_BATCH_IDS
    for ids in ([], [uuid4() for _ in range(MAX_BATCH_IDS + 1)]):
        with pytest.raises(ValueError):
            check_batch_ids(ids)
