"""background queues: attempts, backoff, parking and leases for webhooks and notifications

Stored webhooks and partner notifications become queues the worker drains: each row records its
status (pending, done/delivered, dead), attempts, next attempt and last error, and is leased while
a worker handles it. Webhook bodies are stored as bytes, exactly as signed. Links record failed
background refreshes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("wise_webhook_event", schema=None) as batch_op:
        batch_op.drop_index("ix_wise_webhook_event_pending")
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.alter_column("body_sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column(
            "body",
            existing_type=sa.String(),
            type_=sa.LargeBinary(),
            postgresql_using="convert_to(body, 'UTF8')",
        )
    if sqlite:
        # SQLite keeps a value's own storage class: stored text stays text unless cast.
        op.execute("UPDATE wise_webhook_event SET body = CAST(body AS BLOB)")
    op.execute("UPDATE wise_webhook_event SET status = 'done' WHERE processed_at IS NOT NULL")
    op.execute("UPDATE wise_webhook_event SET next_attempt_at = received_at")
    with op.batch_alter_table("wise_webhook_event", schema=None) as batch_op:
        batch_op.alter_column("next_attempt_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index(
            "ix_wise_webhook_event_queue", ["status", "next_attempt_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wise_webhook_event_received_at"), ["received_at"], unique=False
        )

    with op.batch_alter_table("partner_notification", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_notification_due")
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.alter_column(
            "last_error",
            existing_type=sa.String(length=64),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
    op.execute(
        "UPDATE partner_notification SET status = 'delivered' WHERE delivered_at IS NOT NULL"
    )
    with op.batch_alter_table("partner_notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partner_notification_queue", ["status", "next_attempt_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_partner_notification_customer",
            ["customer_external_id", "status", "id"],
            unique=False,
        )

    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refresh_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("refresh_next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("refresh_last_error", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Revert this revision (test notifications stored without a body hash are dropped)."""
    with op.batch_alter_table("wise_link", schema=None) as batch_op:
        batch_op.drop_column("refresh_last_error")
        batch_op.drop_column("refresh_next_attempt_at")
        batch_op.drop_column("refresh_attempts")

    with op.batch_alter_table("partner_notification", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_notification_customer")
        batch_op.drop_index("ix_partner_notification_queue")
        batch_op.alter_column(
            "last_error",
            existing_type=sa.String(length=200),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
        batch_op.drop_column("request_id")
        batch_op.drop_column("status")
        batch_op.create_index(
            "ix_partner_notification_due", ["delivered_at", "next_attempt_at"], unique=False
        )

    op.execute("DELETE FROM wise_webhook_event WHERE body_sha256 IS NULL")
    with op.batch_alter_table("wise_webhook_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wise_webhook_event_received_at"))
        batch_op.drop_index("ix_wise_webhook_event_queue")
        batch_op.alter_column(
            "body",
            existing_type=sa.LargeBinary(),
            type_=sa.String(),
            postgresql_using="convert_from(body, 'UTF8')",
        )
        batch_op.alter_column("body_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("last_error")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
        batch_op.drop_column("request_id")
        batch_op.create_index(
            "ix_wise_webhook_event_pending", ["processed_at", "received_at"], unique=False
        )
