"""Hosted KYC: Wise's KYC reviews as the kit last heard of them, and launches into Wise's page.

A KYC review is what Wise needs from a customer before an action goes on (a transfer, a card).
The kit keeps each review's latest state from ``kyc-reviews#state-change`` (or from Wise's API),
and lets the partner send the customer to Wise's hosted page through a short-lived, single-use
launch link of its own, exactly like an onboarding session. No review carries personal data.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class KycReviewStatus(StrEnum):
    """Wise's review statuses ("any of the states could move into any other state")."""

    NEW = "NEW"
    PASSED = "PASSED"
    PASSED_WITH_REQUIREMENTS = "PASSED_WITH_REQUIREMENTS"
    WAITING_CUSTOMER_INPUT = "WAITING_CUSTOMER_INPUT"
    PROCESSING = "PROCESSING"


class KycReturnStatus(StrEnum):
    """What the browser brought back from Wise's page (``status=``), or the kit's own outcome."""

    # Wise's values: its docs name success/error on one page and success/failed/closed on another.
    SUCCESS = "success"
    ERROR = "error"
    FAILED = "failed"
    CLOSED = "closed"
    UNKNOWN = "unknown"  # the return carried none of Wise's values


class KycLaunchStatus(StrEnum):
    """A launch link: created → launched → returned, or expired; failed when Wise refused."""

    CREATED = "created"
    LAUNCHED = "launched"
    RETURNED = "returned"
    EXPIRED = "expired"
    FAILED = "failed"


class KycReview(SQLModel, table=True):
    """One Wise KYC review; the newest ``updatedAt`` Wise reported wins."""

    __tablename__ = "wise_kyc_review"

    id: str = SQLField(primary_key=True, max_length=64)
    profile_id: int = SQLField(sa_column=Column(BigInteger, nullable=False, index=True))
    status: str = SQLField(max_length=32)
    required_by: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # JSON list of {"type", "triggerData"} as Wise sent it (ids of quotes, transfers, cards).
    trigger_references: str = "[]"
    wise_created_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    wise_updated_at: datetime = SQLField(sa_type=UTCDateTime)
    received_at: datetime = SQLField(sa_type=UTCDateTime)
    # The last time a customer came back from Wise's page for it, and with what.
    last_return_status: str | None = SQLField(default=None, max_length=16)
    last_returned_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)


class KycLaunch(SQLModel, table=True):
    """One single-use link into Wise's hosted KYC page. Secrets are stored only as SHA-256."""

    __tablename__ = "kyc_review_launch"
    __table_args__ = (Index("ix_kyc_review_launch_status_expires", "status", "expires_at"),)

    id: str = SQLField(primary_key=True, max_length=36)
    customer_external_id: str = SQLField(index=True, max_length=128)
    kyc_review_id: str = SQLField(max_length=64)
    profile_id: int = SQLField(sa_column=Column(BigInteger, nullable=False))
    return_url: str = SQLField(max_length=2048)
    launch_token_hash: str = SQLField(unique=True, max_length=64)
    # The reference in the redirectUrl given to Wise, which brings the browser back.
    return_ref_hash: str | None = SQLField(default=None, unique=True, max_length=64)
    status: str = SQLField(default=KycLaunchStatus.CREATED, max_length=16)
    return_status: str | None = SQLField(default=None, max_length=16)
    failure_reason: str | None = SQLField(default=None, max_length=32)
    # One redeeming request talks to Wise at a time (a double click waits for the first).
    lease_owner: str | None = SQLField(default=None, max_length=36)
    lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    created_at: datetime = SQLField(sa_type=UTCDateTime)
    expires_at: datetime = SQLField(sa_type=UTCDateTime)
    launched_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    return_expires_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)


class KycReviewPublic(BaseModel):
    """A review as the partner API shows it."""

    id: str
    status: str
    required_by: datetime | None
    trigger_references: list[dict[str, Any]]
    created_at: datetime | None
    updated_at: datetime
    last_return_status: str | None
    last_returned_at: datetime | None

    @classmethod
    def of(cls, row: KycReview) -> KycReviewPublic:
        """Build the public view of a row."""
        return cls(
            id=row.id,
            status=row.status,
            required_by=row.required_by,
            trigger_references=json.loads(row.trigger_references or "[]"),
            created_at=row.wise_created_at,
            updated_at=row.wise_updated_at,
            last_return_status=row.last_return_status,
            last_returned_at=row.last_returned_at,
        )


class KycReviewList(BaseModel):
    """What ``GET .../wise-link/kyc-reviews`` returns: the reviews, newest first."""

    kyc_reviews: list[KycReviewPublic]


class KycReviewsQuery(BaseModel):
    """Query of ``GET .../wise-link/kyc-reviews``; unknown names are refused."""

    model_config = ConfigDict(strict=True, extra="forbid")

    refresh: Literal["wise"] | None = Field(
        default=None, description="Ask Wise for the profile's reviews first (a webhook missed)."
    )


class KycLaunchCreate(BaseModel):
    """Body of ``POST .../wise-link/kyc-reviews/<id>/launch``."""

    model_config = ConfigDict(strict=True, extra="forbid")

    # Any string off the allowlist is the documented ``invalid_return_url``.
    return_url: str = Field(
        description="Exactly one of the kit's ONBOARDING_RETURN_URLS; otherwise invalid_return_url"
    )
    # The upper bound is ONBOARDING_SESSION_MAX_TTL_SECONDS (at most 1800), checked at creation.
    ttl_seconds: int | None = Field(default=None, ge=1, json_schema_extra={"maximum": 1800})


class KycLaunchCreated(BaseModel):
    """Answer to a created launch: the launch URL is shown once and never again."""

    id: str
    kyc_review_id: str
    launch_url: str
    expires_at: datetime
