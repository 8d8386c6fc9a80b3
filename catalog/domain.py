"""Catalog domain: the four categories, product fields and their rules, batch look-ups.

Pure: stdlib and pydantic only.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 1000
IMAGE_URL_MAX_LENGTH = 2048
MAX_PRICE = Decimal("9999.99")
MAX_BATCH_IDS = 50


class Category(StrEnum):
    """The menu's own words (Portuguese); migration 0001 seeds them, in this order."""

    LANCHE = "Lanche"
    ACOMPANHAMENTO = "Acompanhamento"
    BEBIDA = "Bebida"
    SOBREMESA = "Sobremesa"


class CategoryEntry(NamedTuple):
    id: int
    name: str


def check_image_url(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ValueError("image_url must be an absolute http(s) URL")
    return value


class ProductDraft(BaseModel):
    """The fields staff edit; constructing one enforces every product rule."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    price: Decimal = Field(gt=0, le=MAX_PRICE, decimal_places=2)
    category: Category
    image_url: str | None = Field(None, max_length=IMAGE_URL_MAX_LENGTH)

    @field_validator("price", mode="before")
    @classmethod
    def _no_floats(cls, value: Any) -> Any:
        if isinstance(value, float | bool):  # binary floats cannot hold cents exactly
            raise ValueError("price must be a decimal string such as '25.90'")
        return value

    @field_validator("image_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return check_image_url(value) if value else None


class Product(ProductDraft):
    id: UUID
    active: bool = True
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BatchResult:
    products: list[Product]
    missing: list[UUID]


def check_batch_ids(ids: Sequence[UUID]) -> list[UUID]:
    """Distinct ids in request order; 1 to MAX_BATCH_IDS of them."""
    distinct = list(dict.fromkeys(ids))
    if not 1 <= len(distinct) <= MAX_BATCH_IDS:
        raise ValueError(f"ask for 1 to {MAX_BATCH_IDS} product ids")
    return distinct


def batch_result(requested: Sequence[UUID], found: Iterable[Product]) -> BatchResult:
    """Active products in request order; unknown and inactive ids are both 'missing'."""
    available = {product.id: product for product in found if product.active}
    return BatchResult(
        products=[available[i] for i in requested if i in available],
        missing=[i for i in requested if i not in available],
    )
