"""links: Wise's verification routes, and the check the worker makes right after linking

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verification_routes", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("verification_checked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("verification_check_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "verification_check_attempts", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(
            sa.Column("verification_check_last_error", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("verification_lease_owner", sa.String(length=36), nullable=True)
        )
        batch_op.add_column(sa.Column("verification_lease_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        for column in (
            "verification_lease_until",
            "verification_lease_owner",
            "verification_check_last_error",
            "verification_check_attempts",
            "verification_check_due_at",
            "verification_checked_at",
            "verification_routes",
        ):
            batch_op.drop_column(column)
