"""Catalog use cases; each takes the repository port, so unit tests pass an in-memory fake."""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID, uuid4

from catalog.domain import (
    BatchResult,
    Category,
    CategoryEntry,
    Product,
    ProductDraft,
    batch_result,
    check_batch_ids,
)
from common.errors import NotFound
from common.logging import get_logger

log = get_logger(__name__)


class ProductRepository(Protocol):
    async def categories(self) -> list[CategoryEntry]: ...
    async def list_active(self, category: Category | None = None) -> list[Product]: ...
    async def get(self, product_id: UUID) -> Product | None: ...
    async def get_many(self, ids: Sequence[UUID]) -> list[Product]: ...
    async def add(self, product_id: UUID, draft: ProductDraft) -> Product: ...
    async def replace(
        self, product_id: UUID, draft: ProductDraft, active: bool | None
    ) -> Product | None: ...
    async def deactivate(self, product_id: UUID) -> Product | None: ...


def _not_found(product_id: UUID) -> NotFound:
    return NotFound(f"product {product_id} not found")


async def list_categories(repo: ProductRepository) -> list[CategoryEntry]:
    return await repo.categories()


async def list_products(repo: ProductRepository, category: Category | None = None) -> list[Product]:
    return await repo.list_active(category)


async def get_product(repo: ProductRepository, product_id: UUID) -> Product:
    product = await repo.get(product_id)
    if product is None or not product.active:  # withdrawn products are gone for the public
        raise _not_found(product_id)
    return product


async def get_products_batch(repo: ProductRepository, ids: Sequence[UUID]) -> BatchResult:
    requested = check_batch_ids(ids)
    return batch_result(requested, await repo.get_many(requested))


async def create_product(repo: ProductRepository, draft: ProductDraft) -> Product:
    product = await repo.add(uuid4(), draft)
    log.info("product created", extra={"product_id": str(product.id)})
    return product


async def update_product(
    repo: ProductRepository, product_id: UUID, draft: ProductDraft, active: bool | None = None
) -> Product:
    product = await repo.replace(product_id, draft, active)
    if product is None:
        raise _not_found(product_id)
    log.info("product updated", extra={"product_id": str(product_id)})
    return product


async def deactivate_product(repo: ProductRepository, product_id: UUID) -> None:
    """Soft delete: orders placed earlier keep their snapshot; repeating it is harmless."""
    if await repo.deactivate(product_id) is None:
        raise _not_found(product_id)
    log.info("product deactivated", extra={"product_id": str(product_id)})
