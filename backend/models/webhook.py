"""Wise webhooks as received (stored before anything else), and transfer statuses they drive."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class WiseWebhookEvent(SQLModel, table=True):
    """One verified webhook delivery. Retries of a delivery carry a new X-Delivery-Id but the same
    body, so both are unique: either one repeating means the delivery is already stored."""

    __tablename__ = "wise_webhook_event"
    __table_args__ = (Index("ix_wise_webhook_event_pending", "processed_at", "received_at"),)

    id: int | None = SQLField(default=None, primary_key=True)
    delivery_id: str | None = SQLField(default=None, unique=True, max_length=64)
    body_sha256: str = SQLField(unique=True, max_length=64)
    # SHA-256 of event_type + data: the same event sent through two subscriptions shares it.
    event_key: str | None = SQLField(default=None, index=True, max_length=64)
    event_type: str | None = SQLField(default=None, max_length=64)
    schema_version: str | None = SQLField(default=None, max_length=16)
    subscription_id: str | None = SQLField(default=None, max_length=64)
    test: bool = False
    body: str
    received_at: datetime = SQLField(sa_type=UTCDateTime)
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
