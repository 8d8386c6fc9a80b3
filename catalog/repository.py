"""Postgres persistence of categories and products (SQLAlchemy Core, asyncpg)."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    Select,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.domain import Category, CategoryEntry, Product, ProductDraft
from common.db import autocommit, ping

metadata = MetaData()

categories = Table(
    "categories",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("name", String(40), nullable=False),
    UniqueConstraint("name", name="uq_categories_name"),
)

products = Table(
    "products",
    metadata,
    Column("id", PgUUID(as_uuid=True), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("description", String(1000), nullable=False, server_default=""),
    Column("price", Numeric(10, 2), nullable=False),
    Column(
        "category_id",
        SmallInteger,
        ForeignKey("categories.id", name="fk_products_category_id"),
        nullable=False,
    ),
    Column("image_url", String(2048)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("price > 0", name="ck_products_price_positive"),
    Index("ix_products_category_id", "category_id"),
)

_PRODUCT_COLUMNS = (
    products.c.id,
    products.c.name,
    products.c.description,
    products.c.price,
    categories.c.name.label("category"),
    products.c.image_url,
    products.c.active,
    products.c.created_at,
    products.c.updated_at,
)


def _select_products() -> Select[Any]:
    return select(*_PRODUCT_COLUMNS).join(categories, categories.c.id == products.c.category_id)


def _category_id(category: Category) -> Any:
    return select(categories.c.id).where(categories.c.name == category.value).scalar_subquery()


def _product(row: Any) -> Product:
    return Product.model_validate(row._mapping)


def _fields(draft: ProductDraft) -> dict[str, Any]:
    return {
        "name": draft.name,
        "description": draft.description,
        "price": draft.price,
        "category_id": _category_id(draft.category),
        "image_url": draft.image_url,
    }


# The batch read is on every order's path: built once, so SQLAlchemy does not walk a new
# statement for its cache key per call.
_SELECT_MANY = _select_products().where(products.c.id.in_(bindparam("ids", expanding=True)))


class CatalogRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reads = autocommit(engine)

    async def ping(self) -> None:
        await ping(self._engine)

    async def categories(self) -> list[CategoryEntry]:
        async with self._reads.connect() as conn:
            rows = await conn.execute(select(categories.c.id, categories.c.name).order_by("id"))
        return [CategoryEntry(row.id, row.name) for row in rows]

    async def list_active(self, category: Category | None = None) -> list[Product]:
        query = _select_products().where(products.c.active.is_(True))
        if category is not None:
            query = query.where(categories.c.name == category.value)
        async with self._reads.connect() as conn:
            rows = await conn.execute(query.order_by(categories.c.id, products.c.name))
        return [_product(row) for row in rows]

    async def get(self, product_id: UUID) -> Product | None:
        async with self._reads.connect() as conn:
            row = (
                await conn.execute(_select_products().where(products.c.id == product_id))
            ).first()
        return _product(row) if row else None

    async def get_many(self, ids: Sequence[UUID]) -> list[Product]:
        async with self._reads.connect() as conn:
            rows = await conn.execute(_SELECT_MANY, {"ids": list(ids)})
        return [_product(row) for row in rows]

    async def add(self, product_id: UUID, draft: ProductDraft) -> Product:
        async with self._engine.begin() as conn:
            await conn.execute(products.insert().values(id=product_id, **_fields(draft)))
            row = (await conn.execute(_select_products().where(products.c.id == product_id))).one()
        return _product(row)

    async def replace(
        self, product_id: UUID, draft: ProductDraft, active: bool | None
    ) -> Product | None:
        values = _fields(draft) | {"updated_at": func.now()}
        if active is not None:
            values["active"] = active
        return await self._update(product_id, values)

    async def deactivate(self, product_id: UUID) -> Product | None:
        return await self._update(product_id, {"active": False, "updated_at": func.now()})

    async def _update(self, product_id: UUID, values: dict[str, Any]) -> Product | None:
        statement = update(products).where(products.c.id == product_id).values(**values)
        async with self._engine.begin() as conn:
            if (await conn.execute(statement)).rowcount == 0:
                return None
            row = (await conn.execute(_select_products().where(products.c.id == product_id))).one()
        return _product(row)
