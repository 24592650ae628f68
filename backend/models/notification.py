"""The partner-notification outbox: link status changes waiting to be POSTed to the partner."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class NotificationStatus(StrEnum):
    """A notification waits for delivery, was delivered, or was parked after too many attempts."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class PartnerNotification(SQLModel, table=True):
    """One event for the partner, written in the same transaction as the change it reports."""

    __tablename__ = "partner_notification"
    __table_args__ = (
        Index("ix_partner_notification_queue", "status", "next_attempt_at", "id"),
        # Per customer, notifications go out in order: the worker looks for an older one.
        Index("ix_partner_notification_customer", "customer_external_id", "status", "id"),
    )

    id: int | None = SQLField(default=None, primary_key=True)
    event_id: str = SQLField(unique=True, max_length=36)
    event_type: str = SQLField(max_length=48)
    customer_external_id: str = SQLField(max_length=128)
    payload: str
    created_at: datetime = SQLField(sa_type=UTCDateTime)
    status: str = SQLField(default=NotificationStatus.PENDING, max_length=16)
    # The X-Request-Id of the request that caused it, carried into the worker's log lines.
    request_id: str | None = SQLField(default=None, max_length=64)
    attempts: int = 0
    next_attempt_at: datetime = SQLField(sa_type=UTCDateTime)
    delivered_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # Claimed by one deliverer at a time, so several instances never send the same row at once.
    lease_owner: str | None = SQLField(default=None, max_length=36)
    lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    last_status: int | None = None
    last_error: str | None = SQLField(default=None, max_length=200)
