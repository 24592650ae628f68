"""Partner notifications: an outbox of link status changes, POSTed to the partner with a signature.

A change and its notification are written in one transaction, so a notification exists exactly
when the change happened. Delivery is separate and at-least-once: the deliverer claims the oldest
undelivered row with a compare-and-set lease (several instances never send the same row at once),
POSTs it, and records the outcome. A failure schedules a retry with exponential backoff; rows are
sent strictly oldest first, so while the partner is down everything waits and nothing is lost or
reordered.

The request carries ``X-Onboarding-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the HMAC
keyed by ``ONBOARDING_PARTNER_WEBHOOK_SECRET`` over ``"<t>." + body`` (see docs/link-lifecycle.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlmodel import Session, col, select

from backend import outbound
from backend.context import Context
from backend.leases import Leasable, new_owner
from backend.models import PartnerNotification, WiseLink, WiseLinkPublic
from backend.settings import Settings

logger = logging.getLogger(__name__)

LINKED = "link.linked"
VERIFIED = "link.verified"
NOT_VERIFIED = "link.not_verified"
REAUTHORIZATION_REQUIRED = "link.reauthorization_required"
UNLINKED = "link.unlinked"

SIGNATURE_HEADER = "X-Onboarding-Signature"
EVENT_ID_HEADER = "X-Onboarding-Event-Id"
TIMEOUT = (5.0, 10.0)
# Longer than the wall-clock bound of a POST (ONBOARDING_PARTNER_WEBHOOK_TIMEOUT_SECONDS, at most
# 45 s, enforced by backend.outbound): a partner answering one byte at a time cannot keep a
# delivery open past its lease, so two instances never send the same notification at once.
LEASE = timedelta(seconds=60)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600

N = PartnerNotification
# One deliverer sends a notification at a time, across all instances.
DELIVERY_LEASE = Leasable(PartnerNotification)
# One pooled, deadline-aware session for all deliveries of this process.
_SESSION = outbound.mount(requests.Session())


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    delivered: int
    failed: int


def record(
    *, ctx: Context, now: datetime, link: WiseLink, event_type: str
) -> PartnerNotification | None:
    """Add a notification for ``link``'s current state to the outbox; the caller commits.

    Returns the queued row, or None when no partner webhook URL is configured. The worker
    delivers it (``deliver_due``).
    """
    if not ctx.settings.partner_notifications_enabled:
        return None
    event_id = str(uuid.uuid4())
    payload = {
        "id": event_id,
        "type": event_type,
        "created_at": _iso(now),
        "customer_external_id": link.customer_external_id,
        "link": WiseLinkPublic.of(link).model_dump(mode="json"),
    }
    row = PartnerNotification(
        event_id=event_id,
        event_type=event_type,
        customer_external_id=link.customer_external_id,
        payload=json.dumps(payload, separators=(",", ":")),
        created_at=now,
        next_attempt_at=now,
    )
    ctx.db.add(row)
    return row


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``X-Onboarding-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure: 30 s, 1 min, 2 min ... at most 1 h."""
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def deliver_due(*, ctx: Context, limit: int = 100) -> DeliveryReport:
    """Send due notifications oldest first; stop at the first failure (the rest wait their turn)."""
    db, settings, clock = ctx.db, ctx.settings, ctx.clock
    if not settings.partner_notifications_enabled:
        return DeliveryReport(0, 0)
    owner = new_owner()
    delivered = 0
    for _ in range(limit):
        row = _claim_head(db, clock.now(), owner)
        if row is None:
            break
        status, error = _post(settings, row, clock.now())
        _record_attempt(db, row, owner, clock.now(), status, error)
        if error is not None:
            logger.warning("partner notification %s not delivered: %s", row.event_type, error)
            return DeliveryReport(delivered, 1)
        delivered += 1
    return DeliveryReport(delivered, 0)


def pending_count(*, ctx: Context) -> int:
    """How many notifications are not delivered yet."""
    count = len(ctx.db.exec(select(N.id).where(col(N.delivered_at).is_(None))).all())
    ctx.db.commit()
    return count


# -- internals --------------------------------------------------------------------------------


def _claim_head(db: Session, now: datetime, owner: str) -> PartnerNotification | None:
    """Lease the oldest undelivered row if it is due and free; None when there is nothing to do."""
    head = db.exec(
        select(N)
        .where(col(N.delivered_at).is_(None))
        .order_by(col(N.id))
        .limit(1)
        .execution_options(populate_existing=True)
    ).first()
    db.commit()  # end the read so the next statements see other instances' commits
    if head is None or head.next_attempt_at > now:
        return None
    if head.lease_until is not None and head.lease_until >= now:
        return None  # another deliverer is sending it
    won = DELIVERY_LEASE.take(
        db,
        col(N.id) == head.id,
        col(N.delivered_at).is_(None),
        owner=owner,
        until=now + LEASE,
        now=now,
    )
    return head if won else None


def _post(
    settings: Settings, row: PartnerNotification, now: datetime
) -> tuple[int | None, str | None]:
    """POST one notification; return the status and an error code (None on success)."""
    body = row.payload.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "wise-onboarding-kit",
        EVENT_ID_HEADER: row.event_id,
        SIGNATURE_HEADER: sign(settings.partner_webhook_secret, int(now.timestamp()), body),
    }
    try:
        with (
            outbound.deadline(settings.partner_webhook_timeout_seconds) as limit,
            _SESSION.post(
                settings.partner_webhook_url,
                data=body,
                headers=headers,
                timeout=TIMEOUT,
                allow_redirects=False,
                # Only the status matters; the partner's body is never read, whatever its size.
                stream=True,
            ) as response,
        ):
            status = response.status_code
    except requests.RequestException as exc:
        return None, "deadline" if limit.expired else type(exc).__name__[:64]
    return status, None if 200 <= status < 300 else f"http_{status}"


def _record_attempt(
    db: Session,
    row: PartnerNotification,
    owner: str,
    now: datetime,
    status: int | None,
    error: str | None,
) -> None:
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status": status,
        "last_error": error,
    }
    if error is None:
        values["delivered_at"] = now
    else:
        values["next_attempt_at"] = now + timedelta(seconds=backoff_seconds(attempts))
    DELIVERY_LEASE.release(db, col(N.id) == row.id, owner=owner, **values)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
