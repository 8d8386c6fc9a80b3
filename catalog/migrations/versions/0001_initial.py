"""Categories (seeded) and products.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not change when the domain code does.
CATEGORIES = [
    {"id": 1, "name": "Lanche"},
    {"id": 2, "name": "Acompanhamento"},
    {"id": 3, "name": "Bebida"},
    {"id": 4, "name": "Sobremesa"},
]


def upgrade() -> None:
    categories = op.create_table(
        "categories",
        sa.Column("id", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.UniqueConstraint("name", name="uq_categories_name"),
    )
    op.bulk_insert(categories, CATEGORIES)
    op.create_table(
        "products",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False, server_default=""),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column(
            "category_id",
            sa.SmallInteger(),
            sa.ForeignKey("categories.id", name="fk_products_category_id"),
            nullable=False,
        ),
        sa.Column("image_url", sa.String(2048), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("price > 0", name="ck_products_price_positive"),
    )
    op.create_index("ix_products_category_id", "products", ["category_id"])


def downgrade() -> None:
    op.drop_index("ix_products_category_id", table_name="products")
    op.drop_table("products")
    op.drop_table("categories")
