"""leases: every lease names its owner (prefill preparation, the shared application token)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # A lease held at upgrade time has no owner and simply runs out, as a crashed holder's would.
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prepare_lease_owner", sa.String(length=36), nullable=True))
    with op.batch_alter_table("wise_app_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=36), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("wise_app_token", schema=None) as batch_op:
        batch_op.drop_column("lease_owner")
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.drop_column("prepare_lease_owner")
