"""camera checks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "camera_check_report",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("embedding", sa.String(length=40), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("report_json", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("camera_check_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_camera_check_report_received_at"), ["received_at"], unique=False
        )

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


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("rate_limit_window", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_window_start")

    op.drop_table("rate_limit_window")
    with op.batch_alter_table("camera_check_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_camera_check_report_received_at"))

    op.drop_table("camera_check_report")
