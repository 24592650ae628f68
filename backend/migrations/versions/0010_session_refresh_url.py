"""sessions: a refresh URL for dead launch links, and lookups by browser binding

A session may carry the partner's refresh URL, where a dead launch link sends the browser. The
browser binding is indexed: a Wise error redirect without a state is tied to its session by it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refresh_url", sa.String(length=2048), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_onboarding_session_binding_hash"), ["binding_hash"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onboarding_session_binding_hash"))
        batch_op.drop_column("refresh_url")
