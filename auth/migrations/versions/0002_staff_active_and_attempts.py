"""Staff accounts can be deactivated; attempts table for login and look-up throttling.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "staff_users",
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "staff_users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("bucket", sa.String(200), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_attempts_bucket_attempted_at", "attempts", ["bucket", "attempted_at"])
    op.create_index("ix_attempts_attempted_at", "attempts", ["attempted_at"])


def downgrade() -> None:
    op.drop_table("attempts")
    op.drop_column("staff_users", "deactivated_at")
    op.drop_column("staff_users", "active")
