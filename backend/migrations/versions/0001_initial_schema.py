"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "onboarding_session",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_external_id", sa.String(length=128), nullable=False),
        sa.Column("customer_type", sa.String(length=16), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=True),
        sa.Column("customer_date_of_birth", sa.Date(), nullable=True),
        sa.Column("return_url", sa.String(length=2048), nullable=False),
        sa.Column("launch_token_hash", sa.String(length=64), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=True),
        sa.Column("binding_hash", sa.String(length=64), nullable=True),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column("wise_error", sa.String(length=64), nullable=True),
        sa.Column("wise_profile_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("launched_at", sa.DateTime(), nullable=True),
        sa.Column("state_expires_at", sa.DateTime(), nullable=True),
        sa.Column("state_consumed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("launch_token_hash"),
        sa.UniqueConstraint("state_hash"),
    )
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onboarding_session_customer_external_id"),
            ["customer_external_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_onboarding_session_status_expires", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "wise_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_external_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("wise_user_id", sa.BigInteger(), nullable=True),
        sa.Column("profile_id", sa.BigInteger(), nullable=False),
        sa.Column("profile_type", sa.String(length=16), nullable=False),
        sa.Column("access_token_ciphertext", sa.String(), nullable=True),
        sa.Column("refresh_token_ciphertext", sa.String(), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("refresh_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_external_id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("wise_link")
    with op.batch_alter_table("onboarding_session", schema=None) as batch_op:
        batch_op.drop_index("ix_onboarding_session_status_expires")
        batch_op.drop_index(batch_op.f("ix_onboarding_session_customer_external_id"))

    op.drop_table("onboarding_session")
