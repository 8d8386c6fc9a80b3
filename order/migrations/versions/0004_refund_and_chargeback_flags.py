"""Orders remember that their money went back: refunded, charged back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("refunded", "charged_back"):
        op.add_column(
            "orders", sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    for name in ("refunded", "charged_back"):
        op.drop_column("orders", name)
