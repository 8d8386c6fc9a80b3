"""An Idempotency-Key remembers the request it was first used with.

The SHA-256 of the canonical request body is stored with the key, so the same key sent
with a different body is refused (422) instead of silently answering with the first order.
Orders written before this revision have no hash: their key replays whatever the body.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("idempotency_request_hash", sa.String(64)))


def downgrade() -> None:
    op.drop_column("orders", "idempotency_request_hash")
