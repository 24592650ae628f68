"""Wise webhooks: store every verified delivery first, answer, then process it once.

Wise retries a delivery for two weeks with a new ``X-Delivery-Id`` each time but the same body,
and sends one copy per subscription. So a delivery is stored under a unique delivery id and a
unique body hash (a retry of a stored delivery is a no-op), and its effect is applied at most once
per event: processing claims the row with a compare-and-set on ``processed_at`` in the same
transaction as the effect, and the effects themselves are idempotent compare-and-sets.

Wise counts a delivery as failed unless the 200 arrives within 5 seconds, and processing can wait
on a row another transaction holds. So the answer depends only on storing: the worker applies
stored events (``process_pending``; ``onboarding-kit worker``, or ``webhooks process`` once).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.context import Context
from backend.errors import InvalidWebhookSignature
from backend.models import VerificationStatus, WiseWebhookEvent
from backend.services import links, transfers
from backend.wise import signatures

logger = logging.getLogger(__name__)

VERIFICATION_EVENT = "profiles#verification-state-change"
TRANSFER_EVENT = "transfers#state-change"
SUPPORTED_SCHEMA = "2."
DELIVERY_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,64}\Z", re.ASCII)

E = WiseWebhookEvent


@dataclass(frozen=True)
class Received:
    """The outcome of storing a delivery."""

    event_id: int | None
    duplicate: bool
    # Stored and still to be applied (not a duplicate, not a test notification).
    pending: bool = False


@dataclass(frozen=True)
class PendingReport:
    """What one ``process_pending`` run did."""

    processed: int
    failed: int


class InvalidEvent(ValueError):
    """A known event whose data cannot be used; stored, answered 200, not applied."""


def accept(
    *,
    ctx: Context,
    body: bytes,
    signature: str | None,
    delivery_id: str | None,
    test: bool,
) -> Received:
    """Verify a delivery over its raw bytes and store it; the caller answers, then applies it.

    Raises InvalidWebhookSignature (nothing stored) unless a configured key signed ``body``.
    """
    # The signature covers these exact bytes: they are never parsed before the check.
    if not signatures.verify(body, signature, ctx.settings.wise_webhook_public_keys):
        raise InvalidWebhookSignature()
    return receive(ctx=ctx, body=body, delivery_id=delivery_id, test=test)


def receive(*, ctx: Context, body: bytes, delivery_id: str | None, test: bool) -> Received:
    """Store a verified delivery and commit; a repeated delivery id or body is a duplicate."""
    db, now = ctx.db, ctx.now()
    envelope = _json_object(body)
    event_type = _short(envelope.get("event_type"), 64)
    row = E(
        delivery_id=delivery_id if delivery_id and DELIVERY_ID_RE.match(delivery_id) else None,
        body_sha256=hashlib.sha256(body).hexdigest(),
        event_key=_event_key(event_type, envelope.get("data")),
        event_type=event_type,
        schema_version=_short(envelope.get("schema_version"), 16),
        subscription_id=_short(envelope.get("subscription_id"), 64),
        test=test,
        body=body.decode("utf-8", errors="replace"),
        received_at=now,
        # A test notification has no business effect: it is stored as already handled.
        processed_at=now if test else None,
        outcome="test_notification" if test else None,
    )
    db.add(row)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return Received(event_id=None, duplicate=True)
    return Received(event_id=row.id, duplicate=False, pending=not test)


def process(*, ctx: Context, event_id: int) -> str | None:
    """Apply one stored event once; return its outcome (None if another worker has it)."""
    db = ctx.db
    for _ in range(3):
        row = db.exec(
            select(E).where(col(E.id) == event_id).execution_options(populate_existing=True)
        ).first()
        if row is None or row.processed_at is not None:
            db.commit()
            return None if row is None else row.outcome
        try:
            return _process(ctx, row)
        except IntegrityError:
            # A concurrent first insert of the same transfer: the retry updates it instead.
            db.rollback()
    raise RuntimeError("webhook event kept conflicting; left for process_pending")


def process_pending(*, ctx: Context, limit: int = 500) -> PendingReport:
    """Apply stored events not applied yet, oldest first.

    One event failing does not stop the others; it stays pending for the next run.
    """
    db = ctx.db
    ids = db.exec(
        select(E.id).where(col(E.processed_at).is_(None)).order_by(col(E.id)).limit(limit)
    ).all()
    db.commit()
    done = failed = 0
    for event_id in ids:
        assert event_id is not None
        try:
            done += process(ctx=ctx, event_id=event_id) is not None
        except Exception:
            db.rollback()
            failed += 1
            logger.exception("pending wise webhook not applied; left for the next run")
    return PendingReport(processed=done, failed=failed)


# -- internals --------------------------------------------------------------------------------


def _process(ctx: Context, row: WiseWebhookEvent) -> str | None:
    db, now = ctx.db, ctx.now()
    if row.event_key is not None:
        # Copies of one event (one per subscription) are processed one after the other, so the
        # later one sees that the earlier one was applied. On PostgreSQL these row locks (in id
        # order) do it; SQLite ignores FOR UPDATE, and there the claim below, the first write of
        # the transaction, waits for the other writer's commit.
        db.exec(
            select(E.id)
            .where(col(E.event_key) == row.event_key)
            .order_by(col(E.id))
            .with_for_update()
        ).all()
    claimed = db.exec(
        update(E).where(col(E.id) == row.id, col(E.processed_at).is_(None)).values(processed_at=now)
    )
    if claimed.rowcount != 1:
        db.rollback()
        return None  # another worker processed it
    # Planned after the claim, so a copy applied meanwhile is seen as one.
    outcome, apply = _plan(db, row)
    db.exec(update(E).where(col(E.id) == row.id).values(outcome=outcome))
    if apply is not None:
        apply(ctx)
    db.commit()
    logger.info("wise webhook %s: %s", row.event_type or "(unreadable)", outcome)
    return outcome


def _plan(db: Session, row: WiseWebhookEvent) -> tuple[str, Any]:
    """Decide what an event does: an outcome to record and the effect to apply (or None)."""
    if row.event_type not in (VERIFICATION_EVENT, TRANSFER_EVENT):
        return ("unreadable" if row.event_type is None else "unsupported_event"), None
    if not (row.schema_version or "").startswith(SUPPORTED_SCHEMA):
        return "unsupported_schema", None
    if _already_applied(db, row):
        return "duplicate_event", None
    data = _json_object(row.body.encode()).get("data")
    try:
        if row.event_type == VERIFICATION_EVENT:
            return "applied", _verification_effect(data)
        return "applied", _transfer_effect(data)
    except InvalidEvent as exc:
        logger.warning("wise webhook %s not applied: %s", row.event_type, exc)
        return "invalid_data", None


def _already_applied(db: Session, row: WiseWebhookEvent) -> bool:
    """The same event came through another subscription and was applied already."""
    if row.event_key is None:
        return False
    earlier = db.exec(
        select(E.id).where(
            col(E.event_key) == row.event_key,
            col(E.id) != row.id,
            col(E.outcome) == "applied",
        )
    ).first()
    return earlier is not None


def _verification_effect(data: object) -> Any:
    resource = _resource(data, "profile")
    state = _field(data, "current_state")
    if state not in (VerificationStatus.VERIFIED, VerificationStatus.NOT_VERIFIED):
        raise InvalidEvent(f"unknown verification state {state!r:.40}")
    occurred_at = _timestamp(_field(data, "occurred_at"))
    profile_id = _int(resource.get("id"), "resource.id")

    def apply(ctx: Context) -> None:
        links.apply_verification(
            ctx=ctx,
            profile_id=profile_id,
            status=str(state),
            as_of=occurred_at,
        )

    return apply


def _transfer_effect(data: object) -> Any:
    resource = _resource(data, "transfer")
    state = _field(data, "current_state")
    previous = _field(data, "previous_state", required=False)
    if not isinstance(state, str) or not 0 < len(state) <= 32:
        raise InvalidEvent("current_state must be a short string")
    if previous is not None and (not isinstance(previous, str) or len(previous) > 32):
        raise InvalidEvent("previous_state must be a short string or null")
    update_ = transfers.TransferUpdate(
        transfer_id=_int(resource.get("id"), "resource.id"),
        profile_id=_int(resource.get("profile_id"), "resource.profile_id"),
        account_id=(
            _int(resource["account_id"], "resource.account_id")
            if resource.get("account_id") is not None
            else None
        ),
        current_state=state,
        previous_state=previous,
        occurred_at=_timestamp(_field(data, "occurred_at")),
    )

    def apply(ctx: Context) -> None:
        transfers.apply(ctx=ctx, change=update_)

    return apply


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Stored as it came and answered 200: an unreadable body is an unknown event, not a 500.
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _event_key(event_type: str | None, data: object) -> str | None:
    if event_type is None or not isinstance(data, dict):
        return None
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{event_type}\n{canonical}".encode()).hexdigest()


def _short(value: object, length: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= length else None


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


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise InvalidEvent(f"{name} must be a positive integer")
    return value


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidEvent("occurred_at must be an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent("occurred_at must be an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Wise's timestamps are UTC
    return moment.astimezone(UTC)
