"""Wise webhooks as received (stored before anything else), and transfer statuses they drive."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, RootModel
from sqlalchemy import BigInteger, Column, Index, LargeBinary
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class EventStatus(StrEnum):
    """A stored webhook: waiting for the worker, done with (applied or not), or parked."""

    PENDING = "pending"
    DONE = "done"
    # The worker could not apply it (unreadable, invalid data, or too many failed attempts); it
    # waits for an operator: `onboarding-kit webhooks failed` and `webhooks retry`.
    DEAD = "dead"


class WiseWebhookEvent(SQLModel, table=True):
    """One verified webhook delivery. Retries of a delivery carry a new X-Delivery-Id but the same
    body, so both are unique: either one repeating means the delivery is already stored.

    Test notifications (``X-Test-Notification: true``) are kept apart from that ledger: their
    ``body_sha256`` and ``event_key`` stay empty, so a test copy of a real body can never make the
    real delivery look like a duplicate.
    """

    __tablename__ = "wise_webhook_event"
    __table_args__ = (Index("ix_wise_webhook_event_queue", "status", "next_attempt_at", "id"),)

    id: int | None = SQLField(default=None, primary_key=True)
    delivery_id: str | None = SQLField(default=None, unique=True, max_length=64)
    body_sha256: str | None = SQLField(default=None, unique=True, max_length=64)
    # SHA-256 of event_type + data: the same event sent through two subscriptions shares it.
    event_key: str | None = SQLField(default=None, index=True, max_length=64)
    event_type: str | None = SQLField(default=None, max_length=64)
    schema_version: str | None = SQLField(default=None, max_length=16)
    subscription_id: str | None = SQLField(default=None, max_length=64)
    test: bool = False
    # The bytes exactly as signed: whatever they hold (NUL bytes too), they can be stored.
    body: bytes = SQLField(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = SQLField(sa_type=UTCDateTime, index=True)
    # The X-Request-Id of the delivery, so the worker's log lines for it carry the same id.
    request_id: str | None = SQLField(default=None, max_length=64)
    status: str = SQLField(default=EventStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = SQLField(sa_type=UTCDateTime)
    last_error: str | None = SQLField(default=None, max_length=200)
    lease_owner: str | None = SQLField(default=None, max_length=36)
    lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    processed_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    outcome: str | None = SQLField(default=None, max_length=32)


class TransferStatus(SQLModel, table=True):
    """The current state of a Wise transfer, as the newest ``transfers#state-change`` says."""

    __tablename__ = "wise_transfer_status"

    transfer_id: int = SQLField(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    profile_id: int = SQLField(sa_column=Column(BigInteger, nullable=False, index=True))
    account_id: int | None = SQLField(default=None, sa_column=Column(BigInteger))
    current_state: str = SQLField(max_length=32)
    previous_state: str | None = SQLField(default=None, max_length=32)
    # Breaks ties between events of the same second: a later step of a transfer outranks earlier.
    state_rank: int
    occurred_at: datetime = SQLField(sa_type=UTCDateTime)
    updated_at: datetime = SQLField(sa_type=UTCDateTime)


class TransferStatusPublic(BaseModel):
    """What ``GET /api/v1/wise-transfers/<transfer_id>`` returns."""

    transfer_id: int
    profile_id: int
    current_state: str
    previous_state: str | None
    occurred_at: datetime

    @classmethod
    def of(cls, row: TransferStatus) -> TransferStatusPublic:
        """Build the public view of a row."""
        return cls.model_validate(row, from_attributes=True)


class WiseWebhookDelivery(RootModel[Any]):
    """What Wise POSTs to ``/webhooks/wise``: its event envelope, e.g.
    ``{"data": {...}, "subscription_id": "...", "event_type": "transfers#state-change",
    "schema_version": "2.0.0", "sent_at": "2026-01-01T10:00:00Z"}``.

    Any body is accepted, on purpose: the signature covers the raw bytes, so every signed body is
    stored and answered 200 whatever it holds, and the worker judges the event afterwards.
    """


class WebhookReceived(BaseModel):
    """Answer to a stored delivery; ``duplicate`` when it was already stored before."""

    received: bool
    duplicate: bool
