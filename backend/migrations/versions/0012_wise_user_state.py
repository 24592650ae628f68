"""links: the Wise user's state, from users#state-change

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wise_user_state", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("wise_user_state_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("wise_user_deactivation_type", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("wise_user_deactivation_reason", sa.String(length=64), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_wise_link_wise_user_id"), ["wise_user_id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wise_link_wise_user_id"))
        for column in (
            "wise_user_deactivation_reason",
            "wise_user_deactivation_type",
            "wise_user_state_at",
            "wise_user_state",
        ):
            batch_op.drop_column(column)
