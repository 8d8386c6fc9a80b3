"""Catalog request and response bodies: the API contract, validated at the edge."""

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from catalog.domain import MAX_PRICE, Category, Product, ProductDraft
from common.money import Money


class ProductIn(ProductDraft):
    """A product as staff submit it; the price travels as a string ("25.90")."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    price: Annotated[Money, Field(gt=0, le=MAX_PRICE)]


class ProductUpdateIn(ProductIn):
    active: bool | None = Field(None, description="true re-lists a withdrawn product")


class ProductOut(BaseModel):
    id: UUID
    name: str
    description: str
    price: Money
    category: Category
    image_url: str | None
    active: bool

    @classmethod
    def of(cls, product: Product) -> "ProductOut":
        return cls.model_validate(product.model_dump())


class CategoryOut(BaseModel):
    id: int
    name: Category


class BatchOut(BaseModel):
    products: list[ProductOut]
    missing: list[UUID]
