"""What a stored Wise event means: which events the kit applies, and the checks on their data.

``plan`` reads a stored body and decides, without touching the database: apply an effect, set it
aside as not ours (an event type the kit does not handle), or park it with a reason an operator
can read (unreadable, an unsupported schema version, invalid data). Nothing signed by Wise is
ever a 400 or a 500: whatever the body holds, it is stored first and judged here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.context import Context
from backend.models import VerificationStatus
from backend.services import kyc_reviews, links, transfers

VERIFICATION_EVENT = "profiles#verification-state-change"
TRANSFER_EVENT = "transfers#state-change"
USER_EVENT = "users#state-change"
KYC_REVIEW_EVENT = "kyc-reviews#state-change"
SUPPORTED_SCHEMA = "2."
# Envelope fields are stored in their own columns only when they look like what Wise sends.
EVENT_TYPE_RE = re.compile(r"^[A-Za-z0-9_.#:-]{1,64}\Z", re.ASCII)
SCHEMA_RE = re.compile(r"^[A-Za-z0-9.+-]{1,16}\Z", re.ASCII)
SUBSCRIPTION_RE = re.compile(r"^[A-Za-z0-9-]{1,64}\Z", re.ASCII)
STATE_RE = re.compile(r"^[A-Za-z0-9_]{1,32}\Z", re.ASCII)
REASON_RE = re.compile(r"^[A-Za-z0-9_]{1,64}\Z", re.ASCII)
# Wise's events describe things that happened this century; anything else is not a real event.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

Effect = Callable[[Context], None]


class InvalidEvent(ValueError):
    """A known event whose data cannot be used; stored, answered 200, parked with this reason."""


@dataclass(frozen=True)
class Envelope:
    """The fields of a delivery the kit stores in columns, each checked, None when unusable."""

    event_type: str | None
    schema_version: str | None
    subscription_id: str | None
    data: object

    @property
    def event_key(self) -> str | None:
        """SHA-256 of the event type and data: the same event sent through two subscriptions."""
        if self.event_type is None or not isinstance(self.data, dict):
            return None
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(f"{self.event_type}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class Plan:
    """What to do with a stored event: its outcome, and an effect or the reason to park it."""

    outcome: str
    effect: Effect | None = None
    park_reason: str | None = None


def envelope(body: bytes) -> Envelope:
    """Read the envelope of a delivery; anything unreadable comes back as None fields."""
    parsed = _json_object(body)
    return Envelope(
        event_type=_matching(parsed.get("event_type"), EVENT_TYPE_RE),
        schema_version=_matching(parsed.get("schema_version"), SCHEMA_RE),
        subscription_id=_matching(parsed.get("subscription_id"), SUBSCRIPTION_RE),
        data=parsed.get("data"),
    )


def plan(body: bytes) -> Plan:
    """Decide what a stored event does."""
    event = envelope(body)
    if event.event_type is None:
        return Plan("unreadable", park_reason="unreadable: not a JSON object with an event_type")
    if event.event_type not in HANDLERS:
        return Plan("unsupported_event")
    if not (event.schema_version or "").startswith(SUPPORTED_SCHEMA):
        return Plan(
            "unsupported_schema",
            park_reason=f"unsupported_schema: {event.schema_version or 'none'} (the kit reads 2.x)",
        )
    try:
        return Plan("applied", effect=HANDLERS[event.event_type](event.data))
    except InvalidEvent as exc:
        return Plan("invalid_data", park_reason=f"invalid_data: {exc}"[:200])


def _verification_effect(data: object) -> Effect:
    resource = _resource(data, "profile")
    state = _field(data, "current_state")
    if state not in (VerificationStatus.VERIFIED, VerificationStatus.NOT_VERIFIED):
        raise InvalidEvent("data.current_state must be verified or not_verified")
    occurred_at = _timestamp(_field(data, "occurred_at"))
    profile_id = _int(resource.get("id"), "data.resource.id")

    def apply(ctx: Context) -> None:
        links.apply_verification(
            ctx=ctx, profile_id=profile_id, status=str(state), as_of=occurred_at
        )

    return apply


def _transfer_effect(data: object) -> Effect:
    resource = _resource(data, "transfer")
    state = _state(_field(data, "current_state"), "data.current_state")
    previous = _field(data, "previous_state", required=False)
    change = transfers.TransferUpdate(
        transfer_id=_int(resource.get("id"), "data.resource.id"),
        profile_id=_int(resource.get("profile_id"), "data.resource.profile_id"),
        account_id=(
            _int(resource["account_id"], "data.resource.account_id")
            if resource.get("account_id") is not None
            else None
        ),
        current_state=state,
        previous_state=None if previous is None else _state(previous, "data.previous_state"),
        occurred_at=_timestamp(_field(data, "occurred_at")),
    )

    def apply(ctx: Context) -> None:
        transfers.apply(ctx=ctx, change=change)

    return apply


def _user_effect(data: object) -> Effect:
    """``users#state-change``: ACTIVE, WITHDRAW_ONLY or DEACTIVATED, with why when deactivated."""
    resource = _resource(data, "user")
    user_id = _int(resource.get("id"), "data.resource.id")
    state = _state(_field(data, "current_state"), "data.current_state")
    kind = _field(data, "deactivation_type", required=False)
    kind = None if kind is None else _state(kind, "data.deactivation_type")
    reason = _field(data, "deactivation_reason", required=False)
    if reason is not None and not (isinstance(reason, str) and REASON_RE.match(reason)):
        raise InvalidEvent("data.deactivation_reason must be a short code (letters, digits, _)")
    occurred_at = _timestamp(_field(data, "occurred_at"))

    def apply(ctx: Context) -> None:
        links.apply_user_state(
            ctx=ctx,
            wise_user_id=user_id,
            state=state,
            deactivation_type=kind,
            deactivation_reason=reason,
            as_of=occurred_at,
        )

    return apply


def _kyc_review_effect(data: object) -> Effect:
    """``kyc-reviews#state-change``: camelCase inside ``data.resource``, no ``occurred_at``."""
    resource = data.get("resource") if isinstance(data, dict) else None
    try:
        change = kyc_reviews.parse(resource, status_key="state")
    except ValueError as exc:
        raise InvalidEvent(f"data.resource.{exc}") from None

    def apply(ctx: Context) -> None:
        kyc_reviews.apply(ctx=ctx, change=change)

    return apply


HANDLERS: dict[str, Callable[[object], Effect]] = {
    VERIFICATION_EVENT: _verification_effect,
    TRANSFER_EVENT: _transfer_effect,
    USER_EVENT: _user_effect,
    KYC_REVIEW_EVENT: _kyc_review_effect,
}


# -- checks -------------------------------------------------------------------------------------


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        # Malformed JSON, invalid UTF-8, numbers too long to read, nesting too deep.
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _matching(value: object, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.match(value) else None


def _resource(data: object, kind: str) -> dict[str, Any]:
    resource = data.get("resource") if isinstance(data, dict) else None
    if not isinstance(resource, dict) or resource.get("type") != kind:
        raise InvalidEvent(f"data.resource must be a {kind}")
    return resource


def _field(data: object, name: str, *, required: bool = True) -> Any:
    assert isinstance(data, dict)
    if required and name not in data:
        raise InvalidEvent(f"data.{name} is missing")
    return data.get(name)


def _state(value: object, name: str) -> str:
    if not isinstance(value, str) or not STATE_RE.match(value):
        raise InvalidEvent(f"{name} must be a short state name (letters, digits, _)")
    return value


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise InvalidEvent(f"{name} must be a positive 64-bit integer")
    return value


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidEvent("data.occurred_at must be an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # Wise's timestamps are UTC
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidEvent("data.occurred_at must be an ISO 8601 timestamp") from None
    if not EARLIEST <= moment < LATEST:
        raise InvalidEvent("data.occurred_at is outside 2000-2099")
    return moment
