"""Catalog use cases against an in-memory repository."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from catalog import service
from catalog.domain import Category, CategoryEntry, Product, ProductDraft
from common.errors import NotFound


class FakeRepository:
    def __init__(self) -> None:
        self.products: dict[UUID, Product] = {}

    async def categories(self) -> list[CategoryEntry]:
        return [CategoryEntry(i, c.value) for i, c in enumerate(Category, 1)]

    async def list_active(self, category: Category | None = None) -> list[Product]:
        return [
            p
            for p in self.products.values()
            if p.active and (category is None or p.category == category)
        ]

    async def get(self, product_id: UUID) -> Product | None:
        return self.products.get(product_id)

    async def get_many(self, ids: Sequence[UUID]) -> list[Product]:
        return [self.products[i] for i in ids if i in self.products]

    async def add(self, product_id: UUID, draft: ProductDraft) -> Product:
        now = datetime.now(UTC)
        self.products[product_id] = Product(
            **draft.model_dump(), id=product_id, created_at=now, updated_at=now
        )
        return self.products[product_id]

    async def replace(
        self, product_id: UUID, draft: ProductDraft, active: bool | None
    ) -> Product | None:
        old = self.products.get(product_id)
        if old is None:
            return None
        new = old.model_copy(
            update={**draft.model_dump(), "active": old.active if active is None else active}
        )
        self.products[product_id] = new
        return new

    async def deactivate(self, product_id: UUID) -> Product | None:
        old = self.products.get(product_id)
        if old is None:
            return None
        self.products[product_id] = old.model_copy(update={"active": False})
        return self.products[product_id]


def draft(name: str = "X-Burger", category: str = "Lanche") -> ProductDraft:
    return ProductDraft(name=name, price="25.90", category=category)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


async def test_a_withdrawn_product_is_not_found_by_the_public(repo: FakeRepository) -> None:
    created = await service.create_product(repo, draft())
    assert (await service.get_product(repo, created.id)) == created
    await service.deactivate_product(repo, created.id)
    with pytest.raises(NotFound):
        await service.get_product(repo, created.id)
    assert await service.list_products(repo) == []


async def test_withdrawing_twice_is_harmless(repo: FakeRepository) -> None:
    created = await service.create_product(repo, draft())
    await service.deactivate_product(repo, created.id)
    await service.deactivate_product(repo, created.id)
    assert repo.products[created.id].active is False


async def test_unknown_products_cannot_be_updated_or_withdrawn(repo: FakeRepository) -> None:
    with pytest.raises(NotFound):
        await service.update_product(repo, uuid4(), draft())
    with pytest.raises(NotFound):
        await service.deactivate_product(repo, uuid4())
    with pytest.raises(NotFound):
        await service.get_product(repo, uuid4())


async def test_update_keeps_the_active_flag_unless_told(repo: FakeRepository) -> None:
    created = await service.create_product(repo, draft())
    await service.deactivate_product(repo, created.id)
    renamed = await service.update_product(repo, created.id, draft("X-Salada"))
    assert (renamed.name, renamed.active) == ("X-Salada", False)
    relisted = await service.update_product(repo, created.id, draft("X-Salada"), active=True)
    assert relisted.active is True


async def test_listing_filters_by_category(repo: FakeRepository) -> None:
    burger = await service.create_product(repo, draft("X-Burger", "Lanche"))
    await service.create_product(repo, draft("Coca", "Bebida"))
    assert await service.list_products(repo, Category.LANCHE) == [burger]


async def test_batch_reports_withdrawn_and_unknown_ids_as_missing(repo: FakeRepository) -> None:
    kept = await service.create_product(repo, draft())
    gone = await service.create_product(repo, draft("Old"))
    await service.deactivate_product(repo, gone.id)
    unknown = uuid4()
    result = await service.get_products_batch(repo, [kept.id, gone.id, unknown, kept.id])
    assert [p.id for p in result.products] == [kept.id]
    assert result.missing == [gone.id, unknown]
