"""rate limits: counted by Flask-Limiter (memory or Redis), no longer in a table

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (the counters are short-lived: nothing of value is dropped)."""
    with op.batch_alter_table("rate_limit_window", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_window_start")
    op.drop_table("rate_limit_window")


def downgrade() -> None:
    """Revert this revision."""
    op.create_table(
        "rate_limit_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bucket", "client_hash", "window_start"),
    )
    with op.batch_alter_table("rate_limit_window", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_window_start", ["window_start"], unique=False)
