"""Hosted KYC: Wise's KYC reviews, and launch links into Wise's hosted page

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "wise_kyc_review",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("required_by", sa.DateTime(), nullable=True),
        sa.Column("trigger_references", sa.String(), nullable=False),
        sa.Column("wise_created_at", sa.DateTime(), nullable=True),
        sa.Column("wise_updated_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("last_return_status", sa.String(length=16), nullable=True),
        sa.Column("last_returned_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wise_kyc_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wise_kyc_review_profile_id"), ["profile_id"], unique=False
        )
    op.create_table(
        "kyc_review_launch",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_external_id", sa.String(length=128), nullable=False),
        sa.Column("kyc_review_id", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.BigInteger(), nullable=False),
        sa.Column("return_url", sa.String(length=2048), nullable=False),
        sa.Column("launch_token_hash", sa.String(length=64), nullable=False),
        sa.Column("return_ref_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("return_status", sa.String(length=16), nullable=True),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column("lease_owner", sa.String(length=36), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("launched_at", sa.DateTime(), nullable=True),
        sa.Column("return_expires_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("launch_token_hash"),
        sa.UniqueConstraint("return_ref_hash"),
    )
    with op.batch_alter_table("kyc_review_launch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kyc_review_launch_customer_external_id"),
            ["customer_external_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_kyc_review_launch_status_expires", ["status", "expires_at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("kyc_review_launch")
    op.drop_table("wise_kyc_review")
