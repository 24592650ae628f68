"""retention: finished sessions are purged by age, found through an index on completed_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.create_index("ix_onboarding_session_completed_at", ["completed_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.drop_index("ix_onboarding_session_completed_at")
