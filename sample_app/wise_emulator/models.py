"""The emulator's records: users, profiles, codes, tokens, webhooks and transfers (in memory)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class User:
    """A Wise user account (the login), which owns zero or more profiles."""

    id: int
    email: str
    created_at: datetime
    password_hash: str | None = None  # None until a pre-created account is claimed
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = None
    phone_number: str | None = None
    # Set for accounts a partner created with a registration code (Onboarding API).
    registration_code_hash: str | None = None
    created_by_client_id: str | None = None
    claimed: bool = True
    id_document_bytes: int | None = None  # size of the sign-up ID photo; the image is not kept
    active: bool = True
    # ACTIVE, WITHDRAW_ONLY (90 days to take money out) or DEACTIVATED (tokens revoked).
    state: str = "ACTIVE"


@dataclass
class Director:
    """A director of a business profile."""

    id: int
    first_name: str
    last_name: str
    date_of_birth: str | None
    country_of_residence_iso3_code: str | None


@dataclass
class Ubo:
    """An ultimate beneficial owner of a business profile; Wise's ids are 32 hex characters."""

    id: str
    name: str
    date_of_birth: str | None
    country_of_residence_iso3_code: str | None
    address_first_line: str | None
    post_code: str | None
    ownership_percentage: int | None


@dataclass
class Profile:
    """A PERSONAL or BUSINESS profile; only personal ones carry a date of birth."""

    id: int
    public_id: str
    user_id: int
    type: str
    created_at: datetime
    updated_at: datetime
    email: str
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    date_of_birth: str | None = None
    phone_number: str | None = None
    nationality: str | None = None
    external_customer_id: str | None = None
    occupations: list[dict[str, Any]] = field(default_factory=list)
    address: dict[str, Any] | None = None
    business_name: str | None = None
    registration_number: str | None = None
    company_type: str | None = None
    company_role: str | None = None
    webpage: str | None = None
    business_free_form_description: str | None = None
    first_level_category: str | None = None
    second_level_category: str | None = None
    industry_categories: list[str] | None = None
    operational_addresses: list[dict[str, Any]] = field(default_factory=list)
    # The authorized representative a v3 create named (with the id the emulator gave it).
    representative: dict[str, Any] | None = None
    directors: list[Director] = field(default_factory=list)
    ubos: list[Ubo] = field(default_factory=list)
    verification_state: str = "not_verified"
    # Per source currency, routes set through the control API win over verification_state:
    # {"USD": {"current_status": "not_verified", "maximum_entitled_amount": 2500}}.
    verification_routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # API clients that know this profile: they receive its application-level webhooks.
    linked_client_ids: set[str] = field(default_factory=set)

    @property
    def full_name(self) -> str:
        """Return the name Wise shows for the profile."""
        if self.type == "BUSINESS":
            return self.business_name or ""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass
class AuthCode:
    """A single-use authorization code bound to a client, redirect URI, user and profile."""

    code: str
    client_id: str
    redirect_uri: str
    user_id: int
    profile_id: int | None
    expires_at: datetime


@dataclass
class ClaimCode:
    """A claim_account_code: lets the customer finish a pre-created account for 5 minutes."""

    code: str
    user_id: int
    client_id: str
    expires_at: datetime


@dataclass
class AccessToken:
    """An access token; application tokens have no user."""

    value: str
    client_id: str
    grant: str
    created_at: datetime
    expires_at: datetime
    user_id: int | None = None
    # None: every profile of the user. A set: only these (tokens from an authorization code).
    profile_ids: frozenset[int] | None = None
    refresh_token: str | None = None


@dataclass
class RefreshToken:
    """A refresh token; it keeps the user, the granted profiles and the live access token."""

    value: str
    client_id: str
    user_id: int
    grant: str
    profile_ids: frozenset[int] | None
    expires_at: datetime
    access_token: str | None = None


@dataclass
class Subscription:
    """An application-level or profile-level webhook subscription."""

    id: str
    name: str
    trigger_on: str
    url: str
    version: str
    scope_domain: str  # "application" or "profile"
    scope_id: str  # the client key, or the profile id
    created_by_type: str
    created_by_id: str
    created_at: datetime
    client_id: str


@dataclass
class Attempt:
    """One HTTP attempt of a webhook delivery."""

    delivery_id: str
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_seconds: float
    succeeded: bool


@dataclass
class Delivery:
    """A signed event on its way to one subscription, retried until it succeeds or gives up."""

    id: str
    subscription_id: str
    event_type: str
    url: str
    body: bytes
    signature: str
    test: bool
    created_at: datetime
    next_attempt_at: datetime
    next_delivery_id: str
    state: str = "pending"  # pending | delivered | failed
    in_flight: bool = False
    attempts: list[Attempt] = field(default_factory=list)


@dataclass
class Transfer:
    """A sandbox transfer, only as far as its state-change webhooks need."""

    id: int
    profile_id: int
    account_id: int
    user_id: int
    status: str
    created_at: datetime


@dataclass
class KycReview:
    """A KYC review: what Wise needs from the customer before an action (a transfer...) goes on."""

    id: str
    profile_id: int
    # NEW, PASSED, PASSED_WITH_REQUIREMENTS, WAITING_CUSTOMER_INPUT or PROCESSING.
    status: str
    created_at: datetime
    updated_at: datetime
    trigger_references: list[dict[str, Any]]
    # One group: {"key", "state" (NOT_PROVIDED, IN_REVIEW, VERIFIED, REJECTED),
    # "apiCollectionSupported"}.
    requirements: list[dict[str, Any]] = field(default_factory=list)
    required_by: datetime | None = None
    redirect_url: str | None = None
    # The hosted page's link and its one-time token, while a link is live.
    link_url: str | None = None
    link_token: str | None = None
    link_expires_at: datetime | None = None
    check_id: int = 0


@dataclass
class Fault:
    """An injected failure or delay for matching requests."""

    id: int
    method: str
    path: str  # exact path or fnmatch pattern
    status: int | None
    remaining: int | None  # None: until cleared
    delay_seconds: float
    grant_type: str | None
    body: dict[str, Any] | None = None  # None: a generic error body for the status
    # A held fault parks matching requests until a test releases it, so "a call is in flight
    # at Wise" is a condition a test can wait for instead of a delay it must guess.
    hold: bool = False
    # The request is carried out, then its answer is replaced by the fault's: an answer lost on
    # the way back, after Wise did the work.
    lose_answer: bool = False
    released: threading.Event = field(default_factory=threading.Event)
    waiting: int = 0


@dataclass
class Flow:
    """One browser's way through the authorize pages."""

    id: str
    client_id: str
    redirect_uri: str
    state: str | None
    show_code: bool
    expires_at: datetime
    claim_user_id: int | None = None
    user_id: int | None = None
    two_factor_passed: bool = False
    claim_password_set: bool = False
    claim_reviewed: bool = False
    pending_signup: dict[str, str] | None = None
