"""Outbox rows carry the W3C trace context of the change that staged them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("traceparent", sa.String(64)))


def downgrade() -> None:
    op.drop_column("outbox", "traceparent")
