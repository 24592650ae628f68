"""The partner-notification outbox: link status changes waiting to be POSTed to the partner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class PartnerNotification(SQLModel, table=True):
    """One event for the partner, written in the same transaction as the change it reports."""

    __tablename__ = "partner_notification"
    __table_args__ = (Index("ix_partner_notification_due", "delivered_at", "next_attempt_at"),)

    id: int | None = SQLField(default=None, primary_key=True)
    event_id: str = SQLField(unique=True, max_length=36)
    event_type: str = SQLField(max_length=48)
    customer_external_id: str = SQLField(max_length=128)
    payload: str
    created_at: datetime = SQLField(sa_type=UTCDateTime)
    attempts: int = 0
    next_attempt_at: datetime = SQLField(sa_type=UTCDateTime)
    delivered_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # Claimed by one deliverer at a time, so several instances never send the same row at once.
    lease_owner: str | None = SQLField(default=None, max_length=36)
    lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    last_status: int | None = None
    last_error: str | None = SQLField(default=None, max_length=64)
