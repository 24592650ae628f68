"""Partner notifications: an outbox of link, session and KYC review changes, POSTed signed.

A change and its notification are written in one transaction, so a notification exists exactly
when the change happened. Delivery is the worker's job and at-least-once: it claims a due row with
a lease (``backend.leases``; several workers never send the same row at once), POSTs it and
records the outcome. Per customer, notifications go out in the order they were made: a row waits
while an older one of the same customer is pending. A failure is retried with exponential backoff
and jitter, and after ``ONBOARDING_NOTIFICATION_MAX_ATTEMPTS`` the row is parked (``dead``), so it
stops holding its customer's later notifications back; ``failed`` lists parked rows and
``retry`` puts them back.

The request carries ``X-Onboarding-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the HMAC
keyed by ``ONBOARDING_PARTNER_WEBHOOK_SECRET`` over ``"<t>." + body`` (see docs/link-lifecycle.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import requests
from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from backend import logs, metrics, outbound, retries
from backend.context import Context
from backend.leases import Leasable, new_owner
from backend.models import (
    NotificationStatus,
    OnboardingSession,
    OnboardingSessionPublic,
    PartnerNotification,
    SessionStatus,
    WiseLink,
    WiseLinkPublic,
)
from backend.settings import Settings

logger = logging.getLogger(__name__)

LINKED = "link.linked"
VERIFIED = "link.verified"
NOT_VERIFIED = "link.not_verified"
REAUTHORIZATION_REQUIRED = "link.reauthorization_required"
UNLINKED = "link.unlinked"
# users#state-change: the Wise user was suspended, closed, or is active again.
WISE_USER_STATE_CHANGED = "link.wise_user_state_changed"
# A session's outcome, one per terminal status: session.linked, .declined, .failed, .expired.
SESSION_PREFIX = "session."

SIGNATURE_HEADER = "X-Onboarding-Signature"
EVENT_ID_HEADER = "X-Onboarding-Event-Id"
TIMEOUT = (5.0, 10.0)

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
        return None  # before building the body: no one would read it
    body = {"link": WiseLinkPublic.of(link).model_dump(mode="json")}
    return queue(
        ctx=ctx,
        now=now,
        event_type=event_type,
        customer_external_id=link.customer_external_id,
        body=body,
    )


def record_session(
    *, ctx: Context, now: datetime, row: OnboardingSession, **changes: Any
) -> PartnerNotification | None:
    """Queue ``session.<status>`` for a session ending now; the caller commits.

    ``changes`` are the values the ending transition writes (the row may not show them yet).

    ``session.failed`` carries the failure ``reason``; ``session.expired`` says whether the
    launch link was never used (``not_launched``) or the customer left at Wise and never came
    back (``abandoned_at_wise``).
    """
    if not ctx.settings.partner_notifications_enabled:
        return None  # before building the body: no one would read it
    session = session_view(row, **changes)
    status = SessionStatus(session.status)
    body: dict[str, Any] = {"session": session.model_dump(mode="json")}
    if status == SessionStatus.FAILED:
        body["reason"] = session.failure_reason
    elif status == SessionStatus.EXPIRED:
        body["reason"] = "not_launched" if row.launched_at is None else "abandoned_at_wise"
    return queue(
        ctx=ctx,
        now=now,
        event_type=SESSION_PREFIX + status,
        customer_external_id=session.customer_external_id,
        body=body,
    )


def session_view(row: OnboardingSession, **changes: Any) -> OnboardingSessionPublic:
    """The public view of ``row`` with ``changes`` a transition is writing right now."""
    view = OnboardingSessionPublic.of(row)
    known = {
        k: v.value if isinstance(v, Enum) else v
        for k, v in changes.items()
        if k in OnboardingSessionPublic.model_fields
    }
    return view.model_copy(update=known)


def queue(
    *,
    ctx: Context,
    now: datetime,
    event_type: str,
    customer_external_id: str,
    body: dict[str, Any],
) -> PartnerNotification | None:
    """Add one notification, ``{id, type, created_at, customer_external_id, **body}``."""
    if not ctx.settings.partner_notifications_enabled:
        return None
    event_id = str(uuid.uuid4())
    payload = {
        "id": event_id,
        "type": event_type,
        "created_at": _iso(now),
        "customer_external_id": customer_external_id,
        **body,
    }
    row = PartnerNotification(
        event_id=event_id,
        event_type=event_type,
        customer_external_id=customer_external_id,
        payload=json.dumps(payload, separators=(",", ":")),
        request_id=ctx.request_id,
        created_at=now,
        next_attempt_at=now,
    )
    ctx.db.add(row)
    return row


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``X-Onboarding-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def deliver_due(
    *, ctx: Context, limit: int = 100, keep_going: Callable[[], bool] = lambda: True
) -> DeliveryReport:
    """Send due notifications one at a time; stop at the first failure (the partner may be down).

    ``keep_going`` is asked between deliveries (the worker's stop signal).
    """
    if not ctx.settings.partner_notifications_enabled:
        return DeliveryReport(0, 0)
    owner = new_owner()
    delivered = 0
    while delivered < limit and keep_going():
        outcome = deliver_next(ctx=ctx, owner=owner)
        if outcome is None:
            break
        if outcome != NotificationStatus.DELIVERED:
            return DeliveryReport(delivered, 1)
        delivered += 1
    return DeliveryReport(delivered, 0)


def deliver_next(*, ctx: Context, owner: str) -> str | None:
    """Claim and send the oldest due notification; its new status, or None when none is due."""
    db, now = ctx.db, ctx.now()
    older = aliased(N)
    waits_for_older = exists().where(
        col(older.customer_external_id) == col(N.customer_external_id),
        col(older.status) == NotificationStatus.PENDING,
        col(older.id) < col(N.id),
    )
    row_id = DELIVERY_LEASE.claim_next(
        db,
        col(N.status) == NotificationStatus.PENDING,
        col(N.next_attempt_at) <= now,
        ~waits_for_older,
        order_by=[col(N.id)],
        owner=owner,
        until=now + lease_length(ctx),
        now=now,
        attempts=N.attempts + 1,
    )
    if row_id is None:
        return None
    row = db.exec(
        select(N).where(col(N.id) == row_id).execution_options(populate_existing=True)
    ).one()
    db.commit()  # no transaction stays open while the partner answers
    # The worker's log lines about this notification carry the request id that caused it.
    with logs.bound(request_id=row.request_id):
        status, error = _post(ctx.settings, row, ctx.now())
        return _record_attempt(ctx, row, owner, status, error)


def lease_length(ctx: Context) -> timedelta:
    """How long a claimed notification stays with its worker.

    Longer than the wall-clock bound of a POST (``ONBOARDING_PARTNER_WEBHOOK_TIMEOUT_SECONDS``,
    enforced by backend.outbound): a partner answering one byte at a time cannot keep a delivery
    open past its lease, so two workers never send the same notification at once.
    """
    s = ctx.settings
    return timedelta(seconds=max(s.worker_lease_seconds, s.partner_webhook_timeout_seconds + 15))


def failed(*, ctx: Context, limit: int = 100) -> list[PartnerNotification]:
    """Parked notifications, oldest first."""
    rows = ctx.db.exec(
        select(N).where(col(N.status) == NotificationStatus.DEAD).order_by(col(N.id)).limit(limit)
    ).all()
    ctx.db.commit()
    return list(rows)


def retry(*, ctx: Context, ids: Sequence[int] | None) -> int:
    """Put parked notifications (these, or all with None) back in the queue with fresh attempts."""
    where = [col(N.status) == NotificationStatus.DEAD]
    if ids is not None:
        where.append(col(N.id).in_(list(ids)))
    result = ctx.db.exec(
        update(N)
        .where(*where)
        .values(
            status=NotificationStatus.PENDING,
            attempts=0,
            next_attempt_at=ctx.now(),
            **DELIVERY_LEASE.cleared(),
        )
    )
    ctx.db.commit()
    return int(result.rowcount or 0)


def pending_count(*, ctx: Context) -> int:
    """How many notifications wait for delivery."""
    count = len(ctx.db.exec(select(N.id).where(col(N.status) == NotificationStatus.PENDING)).all())
    ctx.db.commit()
    return count


# -- internals --------------------------------------------------------------------------------


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
    ctx: Context,
    row: PartnerNotification,
    owner: str,
    status: int | None,
    error: str | None,
) -> str:
    """Record a delivery attempt (the lease is released with it); the row's new status."""
    now, attempts = ctx.now(), row.attempts
    values: dict[str, Any] = {"last_status": status, "last_error": error}
    if error is None:
        new_status = NotificationStatus.DELIVERED
        values["delivered_at"] = now
    else:
        dead = attempts >= ctx.settings.notification_max_attempts
        new_status = NotificationStatus.DEAD if dead else NotificationStatus.PENDING
        values["next_attempt_at"] = retries.next_attempt_at(ctx.settings, now, attempts)
        log = logger.error if dead else logger.warning
        log(
            "partner notification %s not delivered (attempt %d, %s)%s",
            row.event_type,
            attempts,
            error,
            ": parked" if dead else "; retried with backoff",
        )
    DELIVERY_LEASE.release(ctx.db, col(N.id) == row.id, owner=owner, status=new_status, **values)
    label = {"delivered": "delivered", "dead": "parked"}.get(new_status, "retried")
    metrics.NOTIFICATIONS.labels(outcome=label).inc()
    return new_status


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
