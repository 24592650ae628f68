"""Idempotency keys of ``POST /api/v1/onboarding-sessions``: the first answer, kept for replays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class IdempotencyRecord(SQLModel, table=True):
    """One key of one partner API key, the body it came with, and the answer it got."""

    __tablename__ = "idempotency_record"
    # The unique pair is what makes two concurrent first uses of a key create one session.
    __table_args__ = (UniqueConstraint("api_key_hash", "key", name="uq_idempotency_record_key"),)

    id: int | None = SQLField(default=None, primary_key=True)
    # SHA-256 of the partner API key: two partners may pick the same key without colliding.
    api_key_hash: str = SQLField(max_length=64)
    key: str = SQLField(max_length=255)
    # SHA-256 of the validated body in canonical JSON, to tell a retry from a reused key.
    request_hash: str = SQLField(max_length=64)
    session_id: str = SQLField(max_length=36)
    # The original 201 body as a Fernet ciphertext: it holds the launch URL, see
    # backend/services/idempotency.py for why it is kept at all.
    response_ciphertext: str
    created_at: datetime = SQLField(sa_type=UTCDateTime)
    expires_at: datetime = SQLField(sa_type=UTCDateTime, index=True)
