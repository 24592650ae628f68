"""link tokens: when the current access token was obtained from Wise

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Links stored before this revision keep NULL: their tokens follow the plain margin rule
    # until their next refresh.
    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_token_obtained_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        batch_op.drop_column("access_token_obtained_at")
