"""Onboarding sessions: the request body, the table and what the API returns."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime
from backend.models.prefill import (
    BusinessPrefill,
    PersonalPrefill,
    Prefill,
    RegistrationNumber,
)
from backend.models.schema import json_pattern

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+\Z", re.ASCII)
EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9._:@+-]{1,128}\Z", re.ASCII)
# The partner's customer id, in request bodies and in /api/v1/customers/<external_id>/ paths.
ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        json_schema_extra={"pattern": json_pattern(EXTERNAL_ID_RE)},
        description="Your id of the customer: 1-128 letters, digits or . _ : @ + -",
    ),
]


class SessionStatus(StrEnum):
    """The session state machine: created → launched → linked | declined | failed; or expired."""

    CREATED = "created"
    LAUNCHED = "launched"
    LINKED = "linked"
    DECLINED = "declined"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """Terminal statuses never change again."""
        return self not in (SessionStatus.CREATED, SessionStatus.LAUNCHED)


class SessionMode(StrEnum):
    """How the customer reaches Wise: log in or sign up themselves, or claim a prefilled account."""

    LINK = "link"
    PREFILL = "prefill"


class IdentityCheck(StrEnum):
    """What the identity check after the return established."""

    PASSED = "passed"
    FAILED = "failed"
    # A business profile, and the partner gave no registration number to compare.
    NOT_APPLICABLE = "not_applicable"


class FailureReason(StrEnum):
    """Why a session failed; also sent to the return URL as ``reason``."""

    IDENTITY_MISMATCH = "identity_mismatch"
    NO_PROFILE = "no_profile"
    PROFILE_TYPE_MISMATCH = "profile_type_mismatch"
    WISE_ERROR = "wise_error"
    WISE_UNAVAILABLE = "wise_unavailable"
    TOKEN_EXCHANGE_FAILED = "token_exchange_failed"  # noqa: S105  (a reason code, not a secret)
    INVALID_CALLBACK = "invalid_callback"
    INTERRUPTED = "interrupted"


class CustomerCreate(BaseModel):
    """The customer as the partner knows them."""

    model_config = ConfigDict(strict=True, extra="forbid")

    external_id: ExternalId
    email: str = Field(
        min_length=3, max_length=254, json_schema_extra={"pattern": json_pattern(EMAIL_RE)}
    )
    date_of_birth: date | None = None
    type: Literal["personal", "business"] = "personal"
    # Business customers: compared with the Wise business profile after the return.
    registration_number: RegistrationNumber | None = None
    # Prefill mode: what Wise's account is created with; the shape follows ``type``.
    prefill: Prefill | None = None

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str) -> str:
        if not EXTERNAL_ID_RE.match(value):
            raise ValueError("use 1-128 letters, digits or . _ : @ + -")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_RE.match(value):
            raise ValueError("not a valid email address")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, value: date | None) -> date | None:
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("must be between 1900-01-01 and today")
        return value

    @field_validator("prefill", mode="wrap")
    @classmethod
    def _prefill_of_type(cls, value: Any, _handler: Any, info: ValidationInfo) -> Prefill | None:
        """Validate against the personal or business shape, so errors name the real field."""
        kind = info.data.get("type")
        if value is None or kind is None:  # no prefill, or ``type`` itself is already invalid
            return None
        model: type[Prefill] = BusinessPrefill if kind == "business" else PersonalPrefill
        if isinstance(value, model):
            return value
        # A ValidationError raised here keeps its locations under ``customer.prefill``.
        return model.model_validate(value, strict=True)


class OnboardingSessionCreate(BaseModel):
    """Body of ``POST /api/v1/onboarding-sessions``."""

    model_config = ConfigDict(strict=True, extra="forbid")

    mode: Literal["link", "prefill"] = "link"
    customer: CustomerCreate
    # No length rules here: any string that is not on the allowlist, "" and over-long ones
    # included, is the same documented ``invalid_return_url``.
    return_url: str = Field(
        description="Exactly one of the kit's ONBOARDING_RETURN_URLS; otherwise invalid_return_url"
    )
    # Where a dead launch link sends the browser (with session_id and reason), so the partner
    # can mint a fresh session; from the same allowlist. Without it, the dead link shows a page.
    refresh_url: str | None = Field(
        default=None,
        description="Optional; one of ONBOARDING_RETURN_URLS. A dead launch link sends the browser "
        "there with session_id and reason (expired or used) so the partner can mint a new session.",
    )
    # The upper bound is ONBOARDING_SESSION_MAX_TTL_SECONDS (at most 1800), checked at creation.
    ttl_seconds: int | None = Field(default=None, ge=1, json_schema_extra={"maximum": 1800})


class OnboardingSession(SQLModel, table=True):
    """One attempt to link a customer's Wise account. Secrets are stored only as SHA-256."""

    __tablename__ = "onboarding_session"
    __table_args__ = (
        Index("ix_onboarding_session_status_expires", "status", "expires_at"),
        # Finished sessions are purged by age (backend.services.retention).
        Index("ix_onboarding_session_completed_at", "completed_at"),
    )

    id: str = SQLField(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    status: str = SQLField(default=SessionStatus.CREATED, max_length=16)
    customer_external_id: str = SQLField(index=True, max_length=128)
    customer_type: str = SQLField(max_length=16)
    # Personal data needed only for the identity check; erased when the session ends.
    customer_email: str | None = SQLField(default=None, max_length=254)
    customer_date_of_birth: date | None = None
    customer_registration_number: str | None = SQLField(default=None, max_length=32)
    mode: str = SQLField(default=SessionMode.LINK, max_length=16)
    # Prefill mode: the partner's data as a Fernet ciphertext, kept only until the redirect.
    prefill_ciphertext: str | None = None
    # Prefill mode: the launch request preparing Wise right now (see prefill.py), and until when.
    prepare_lease_owner: str | None = SQLField(default=None, max_length=36)
    prepare_lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    existing_account: bool = False
    # JSON list of the profile calls Wise refused ({"call", "status", "codes"}); no personal data.
    prefill_errors: str | None = None
    identity_check: str | None = SQLField(default=None, max_length=16)
    return_url: str = SQLField(max_length=2048)
    refresh_url: str | None = SQLField(default=None, max_length=2048)
    launch_token_hash: str = SQLField(unique=True, max_length=64)
    state_hash: str | None = SQLField(default=None, unique=True, max_length=64)
    # Looked up by itself when Wise returns an error without the state (see callback.py).
    binding_hash: str | None = SQLField(default=None, index=True, max_length=64)
    failure_reason: str | None = SQLField(default=None, max_length=32)
    wise_error: str | None = SQLField(default=None, max_length=64)
    wise_profile_id: int | None = SQLField(default=None, sa_column=Column(BigInteger))
    created_at: datetime = SQLField(sa_type=UTCDateTime)
    expires_at: datetime = SQLField(sa_type=UTCDateTime)
    launched_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    state_expires_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    state_consumed_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)


class OnboardingSessionCreated(BaseModel):
    """Answer to a successful create: the launch URL is shown once and never again."""

    id: str
    status: str
    launch_url: str
    expires_at: datetime


class PrefillError(BaseModel):
    """A Wise call of the prefill preparation that Wise refused; the customer completes it there."""

    call: str
    status: int | None
    codes: list[str]


class OnboardingSessionPublic(BaseModel):
    """What ``GET /api/v1/onboarding-sessions/<id>`` returns."""

    id: str
    status: str
    mode: str
    customer_external_id: str
    failure_reason: str | None
    wise_error: str | None
    wise_profile_id: int | None
    existing_account: bool
    identity_check: str | None
    prefill_errors: list[PrefillError]
    refresh_url: str | None
    created_at: datetime
    expires_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, row: OnboardingSession) -> OnboardingSessionPublic:
        """Build the public view of a row."""
        return cls(
            id=row.id,
            status=row.status,
            mode=row.mode,
            customer_external_id=row.customer_external_id,
            failure_reason=row.failure_reason,
            wise_error=row.wise_error,
            wise_profile_id=row.wise_profile_id,
            existing_account=row.existing_account,
            identity_check=row.identity_check,
            prefill_errors=[PrefillError(**e) for e in json.loads(row.prefill_errors or "[]")],
            refresh_url=row.refresh_url,
            created_at=row.created_at,
            expires_at=row.expires_at,
            completed_at=row.completed_at,
        )
