"""The link between a partner's customer and a Wise profile, with its tokens encrypted at rest."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import BigInteger, Column, Index, false
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime

CURRENCY_LIST_MAX = 10


class LinkStatus(StrEnum):
    """The link state machine.

    linked → reauthorization_required (Wise revoked the tokens) → linked (the customer relinked);
    linked | reauthorization_required → unlinked (the partner deleted the link). The API reports
    an unlinked or missing link as ``not_linked``.
    """

    LINKED = "linked"
    REAUTHORIZATION_REQUIRED = "reauthorization_required"
    UNLINKED = "unlinked"
    NOT_LINKED = "not_linked"


class VerificationStatus(StrEnum):
    """Whether Wise has verified the linked profile; ``unknown`` until Wise says."""

    VERIFIED = "verified"
    NOT_VERIFIED = "not_verified"
    UNKNOWN = "unknown"


class WiseLink(SQLModel, table=True):
    """One row per customer: the currently linked Wise profile and its user tokens (ciphertext)."""

    __tablename__ = "wise_link"
    __table_args__ = (Index("ix_wise_link_status_expires", "status", "access_token_expires_at"),)

    id: int | None = SQLField(default=None, primary_key=True)
    customer_external_id: str = SQLField(unique=True, max_length=128)
    status: str = SQLField(default=LinkStatus.LINKED, max_length=32)
    wise_user_id: int | None = SQLField(default=None, sa_column=Column(BigInteger, index=True))
    profile_id: int = SQLField(sa_column=Column(BigInteger, nullable=False, index=True))
    profile_type: str = SQLField(max_length=16)
    access_token_ciphertext: str | None = None
    refresh_token_ciphertext: str | None = None
    access_token_expires_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # When the kit received the current access token from Wise: with the expiry, its lifetime.
    access_token_obtained_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    refresh_token_expires_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    session_id: str | None = SQLField(default=None, max_length=36)
    identity_check: str | None = SQLField(default=None, max_length=16)
    linked_at: datetime = SQLField(sa_type=UTCDateTime)
    updated_at: datetime = SQLField(sa_type=UTCDateTime)
    # -- lifecycle ---------------------------------------------------------------------------
    verification_status: str = SQLField(
        default=VerificationStatus.UNKNOWN,
        max_length=16,
        sa_column_kwargs={"server_default": VerificationStatus.UNKNOWN.value},
    )
    # Wise's occurred_at of the newest verification fact applied (webhook), or when we asked.
    verification_updated_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # The last (re)link connected a different Wise user than before; the partner should review.
    account_changed: bool = SQLField(default=False, sa_column_kwargs={"server_default": false()})
    previous_wise_user_id: int | None = SQLField(default=None, sa_column=Column(BigInteger))
    # The single-flight refresh lease: who refreshes the tokens right now, and until when.
    refresh_lease_owner: str | None = SQLField(default=None, max_length=36)
    refresh_lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # The worker's background refreshes of this link that failed in a row, the next try and why;
    # any successful refresh (or a relink) starts over.
    refresh_attempts: int = SQLField(default=0, sa_column_kwargs={"server_default": "0"})
    refresh_next_attempt_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    refresh_last_error: str | None = SQLField(default=None, max_length=200)
    # -- verification routes (POST /v3/profiles/{id}/verification-status/bank-transfer) -------
    # JSON list of {source_currency, current_status, maximum_entitled_amount} as Wise last said.
    verification_routes: str | None = None
    verification_checked_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # The worker asks Wise right after a (re)link, as Wise advises, instead of waiting for a
    # webhook: when that check is due, how often it failed, why, and who runs it now.
    verification_check_due_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    verification_check_attempts: int = SQLField(default=0, sa_column_kwargs={"server_default": "0"})
    verification_check_last_error: str | None = SQLField(default=None, max_length=200)
    verification_lease_owner: str | None = SQLField(default=None, max_length=36)
    verification_lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # -- the Wise user's own state (users#state-change) ----------------------------------------
    # ACTIVE, WITHDRAW_ONLY or DEACTIVATED as Wise last said; None until it says.
    wise_user_state: str | None = SQLField(default=None, max_length=32)
    wise_user_state_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # ACCOUNT_SUSPENSION (can be appealed with Wise) or ACCOUNT_CLOSURE, and Wise's reason code.
    wise_user_deactivation_type: str | None = SQLField(default=None, max_length=32)
    wise_user_deactivation_reason: str | None = SQLField(default=None, max_length=64)


class WiseLinkEvent(SQLModel, table=True):
    """The audit trail of a link: linked, relinked, reauthorization required, unlinked..."""

    __tablename__ = "wise_link_event"

    id: int | None = SQLField(default=None, primary_key=True)
    customer_external_id: str = SQLField(index=True, max_length=128)
    event: str = SQLField(max_length=32)
    detail: str | None = SQLField(default=None, max_length=255)
    profile_id: int | None = SQLField(default=None, sa_column=Column(BigInteger))
    wise_user_id: int | None = SQLField(default=None, sa_column=Column(BigInteger))
    created_at: datetime = SQLField(sa_type=UTCDateTime)


class VerificationRoute(BaseModel):
    """One source currency of Wise's bank-transfer verification status."""

    source_currency: str
    # "verified" or "not_verified"; not_verified with an amount above 0 may still pay up to it.
    current_status: str
    maximum_entitled_amount: int | float | None


class WiseLinkPublic(BaseModel):
    """What ``GET /api/v1/customers/<external_id>/wise-link`` returns; never any token."""

    status: str
    profile_id: int | None = None
    profile_type: str | None = None
    linked_at: datetime | None = None
    # "passed", or "not_applicable" for a business linked without a registration number to compare.
    identity_check: str | None = None
    verification_status: str = VerificationStatus.UNKNOWN
    # Per source currency, as Wise last answered, and when the kit asked.
    verification_routes: list[VerificationRoute] = []
    verification_checked_at: datetime | None = None
    # The Wise user's state from users#state-change: ACTIVE, WITHDRAW_ONLY (the customer has 90
    # days to take money out) or DEACTIVATED (Wise revoked every token); None until Wise says.
    wise_user_state: str | None = None
    wise_user_deactivation_type: str | None = None
    wise_user_deactivation_reason: str | None = None
    account_changed: bool = False

    @classmethod
    def of(cls, row: WiseLink | None) -> WiseLinkPublic:
        """Build the public view; a missing or unlinked row reads as not linked."""
        if row is None or row.status not in (
            LinkStatus.LINKED,
            LinkStatus.REAUTHORIZATION_REQUIRED,
        ):
            return cls(status=LinkStatus.NOT_LINKED)
        return cls(
            status=row.status,
            profile_id=row.profile_id,
            profile_type=row.profile_type,
            linked_at=row.linked_at,
            identity_check=row.identity_check,
            verification_status=row.verification_status,
            verification_routes=[
                VerificationRoute(**r) for r in json.loads(row.verification_routes or "[]")
            ],
            verification_checked_at=row.verification_checked_at,
            wise_user_state=row.wise_user_state,
            wise_user_deactivation_type=row.wise_user_deactivation_type,
            wise_user_deactivation_reason=row.wise_user_deactivation_reason,
            account_changed=row.account_changed,
        )


class AccessTokenPublic(BaseModel):
    """What ``POST .../wise-link/access-token`` returns to the partner's backend."""

    access_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        # Keep the token out of tracebacks and debug output.
        return f"AccessTokenPublic(expires_at={self.expires_at.isoformat()})"


class AccessTokenRequest(BaseModel):
    """Optional body: the token Wise just refused, so the kit refreshes even if it looks fresh."""

    model_config = ConfigDict(strict=True, extra="forbid")

    rejected_access_token: str | None = None


class WiseLinkQuery(BaseModel):
    """Query of ``GET /api/v1/customers/<external_id>/wise-link``; unknown names are refused."""

    model_config = ConfigDict(strict=True, extra="forbid")

    refresh: Literal["verification"] | None = Field(
        default=None, description="Ask Wise for the profile's verification status first."
    )
    source_currencies: str | None = Field(
        default=None,
        description=(
            "With refresh=verification: the currencies whose routes must be verified, as "
            "comma-separated ISO 4217 codes (at most 10). Default GBP,EUR,USD."
        ),
    )

    @field_validator("source_currencies")
    @classmethod
    def _iso_codes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = [part.strip().upper() for part in value.split(",") if part.strip()]
        if (
            not parts
            or len(parts) > CURRENCY_LIST_MAX
            or not all(len(p) == 3 and p.isalpha() and p.isascii() for p in parts)
        ):
            raise ValueError("must list ISO 4217 codes, e.g. GBP,EUR")
        return ",".join(parts)

    @property
    def currencies(self) -> tuple[str, ...]:
        """The requested currencies, upper case; empty when the partner named none."""
        return tuple(self.source_currencies.split(",")) if self.source_currencies else ()
