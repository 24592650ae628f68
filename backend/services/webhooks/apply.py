"""Applying stored Wise webhooks: the worker's side of the queue.

A stored event is ``pending`` until a worker claims it (a lease, ``backend.leases``), applies its
effect and marks it ``done`` in one transaction. Effects are idempotent compare-and-sets, and the
mark is written only while the worker still holds the lease, so every event is applied once
however many workers run. Copies of one event (one per subscription) are applied one after the
other, so the later copy is recorded as ``duplicate_event``.

What cannot be applied is parked as ``dead`` with a reason, never retried in a loop and never in
the way of the others: unreadable or invalid data at once, a failure (the database, a bug) after
``ONBOARDING_WEBHOOK_MAX_ATTEMPTS`` tries with backoff. ``failed`` lists them; ``retry`` puts
them back once the cause is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend import logs, metrics, retries
from backend.context import Context
from backend.leases import Leasable, new_owner
from backend.models import EventStatus, WiseWebhookEvent
from backend.services.webhooks.events import plan

logger = logging.getLogger(__name__)

E = WiseWebhookEvent
QUEUE = Leasable(WiseWebhookEvent)
# Outcomes as metric labels: every parking reason counts as "parked".
PROCESSED_LABELS = {
    "applied": "applied",
    "duplicate_event": "duplicate_event",
    "unsupported_event": "unsupported_event",
    "unreadable": "parked",
    "unsupported_schema": "parked",
    "invalid_data": "parked",
    "failed": "failed",
    "lost_lease": "lost_lease",
}


@dataclass(frozen=True)
class PendingReport:
    """What one run over the queue did."""

    processed: int
    failed: int


def process_pending(
    *, ctx: Context, limit: int = 500, keep_going: Callable[[], bool] = lambda: True
) -> PendingReport:
    """Apply due events oldest first, one at a time, until none is due (or ``limit``).

    A failing event is scheduled again with backoff, or parked; it never stops the others.
    ``keep_going`` is asked between events (the worker's stop signal).
    """
    owner = new_owner()
    done = failed = 0
    while done + failed < limit and keep_going():
        outcome = apply_next(ctx=ctx, owner=owner)
        if outcome is None:
            break
        metrics.WEBHOOKS_PROCESSED.labels(outcome=PROCESSED_LABELS.get(outcome, "other")).inc()
        if outcome == "failed":
            failed += 1
        else:
            done += 1
    return PendingReport(processed=done, failed=failed)


def apply_next(*, ctx: Context, owner: str) -> str | None:
    """Claim the oldest due event and apply it; its outcome, ``failed``, or None if none is due."""
    db, now = ctx.db, ctx.now()
    event_id = QUEUE.claim_next(
        db,
        col(E.status) == EventStatus.PENDING,
        col(E.next_attempt_at) <= now,
        order_by=[col(E.id)],
        owner=owner,
        # Applying takes milliseconds and calls nobody: a worker that held it this long died.
        until=now + lease_length(ctx),
        now=now,
        attempts=E.attempts + 1,
    )
    if event_id is None:
        return None
    row = db.exec(
        select(E).where(col(E.id) == event_id).execution_options(populate_existing=True)
    ).one()
    # The worker's log lines about this event carry the request id of its delivery.
    with logs.bound(request_id=row.request_id):
        for _ in range(3):
            try:
                return _apply(ctx, row, owner)
            except IntegrityError:
                # A concurrent first insert of the same transfer: the retry updates it instead.
                db.rollback()
            except Exception as exc:
                db.rollback()
                _record_failure(ctx, event_id, owner, retries.error_code(exc))
                logger.exception("wise webhook not applied; retried later with backoff")
                return "failed"
        _record_failure(ctx, event_id, owner, "conflict")
    return "failed"


def lease_length(ctx: Context) -> timedelta:
    """How long a claimed event stays with its worker (``ONBOARDING_WORKER_LEASE_SECONDS``)."""
    return timedelta(seconds=ctx.settings.worker_lease_seconds)


def failed(*, ctx: Context, limit: int = 100) -> list[WiseWebhookEvent]:
    """Parked events, oldest first."""
    rows = ctx.db.exec(
        select(E).where(col(E.status) == EventStatus.DEAD).order_by(col(E.id)).limit(limit)
    ).all()
    ctx.db.commit()
    return list(rows)


def retry(*, ctx: Context, ids: Sequence[int] | None) -> int:
    """Put parked events (these, or all with None) back in the queue with fresh attempts."""
    where = [col(E.status) == EventStatus.DEAD]
    if ids is not None:
        where.append(col(E.id).in_(list(ids)))
    result = ctx.db.exec(
        update(E)
        .where(*where)
        .values(
            status=EventStatus.PENDING,
            attempts=0,
            next_attempt_at=ctx.now(),
            processed_at=None,
            outcome=None,
            **QUEUE.cleared(),
        )
    )
    ctx.db.commit()
    return int(result.rowcount or 0)


def pending_count(*, ctx: Context) -> int:
    """How many events wait for the worker."""
    count = len(ctx.db.exec(select(E.id).where(col(E.status) == EventStatus.PENDING)).all())
    ctx.db.commit()
    return count


# -- internals --------------------------------------------------------------------------------


def _apply(ctx: Context, row: WiseWebhookEvent, owner: str) -> str:
    """Apply one claimed event in one transaction; its outcome."""
    db, now, event_id = ctx.db, ctx.now(), row.id
    if row.event_key is not None and db.get_bind().dialect.name == "postgresql":
        # Copies of one event are applied one after the other: these row locks (in id order)
        # make the later copy wait, then see that the earlier one was applied. SQLite has one
        # writer at a time, and the first write below already waits for it.
        db.exec(
            select(E.id)
            .where(col(E.event_key) == row.event_key)
            .order_by(col(E.id))
            .with_for_update()
        ).all()
    # The first write of the transaction, and only while this worker holds the lease.
    mine = db.exec(
        update(E)
        .where(col(E.id) == event_id, QUEUE.held_by(owner), col(E.status) == EventStatus.PENDING)
        .values(processed_at=now)
    )
    if mine.rowcount != 1:
        db.rollback()
        return "lost_lease"  # its lease ran out and another worker has it now
    decided = plan(row.body)
    status, outcome = EventStatus.DONE, decided.outcome
    if decided.park_reason is not None:
        status = EventStatus.DEAD
        logger.warning("wise webhook %s parked: %s", row.event_type or "(unreadable)", outcome)
    elif decided.effect is not None and _already_applied(ctx, row):
        outcome = "duplicate_event"
    elif decided.effect is not None:
        decided.effect(ctx)
    db.exec(
        update(E)
        .where(col(E.id) == event_id)
        .values(
            status=status,
            outcome=outcome,
            last_error=decided.park_reason,
            processed_at=now if status == EventStatus.DONE else None,
            **QUEUE.cleared(),
        )
    )
    db.commit()
    logger.info("wise webhook %s: %s", row.event_type or "(unreadable)", outcome)
    return outcome


def _already_applied(ctx: Context, row: WiseWebhookEvent) -> bool:
    """The same event came through another subscription and was applied already."""
    earlier = ctx.db.exec(
        select(E.id).where(
            col(E.event_key) == row.event_key,
            col(E.id) != row.id,
            col(E.outcome) == "applied",
        )
    ).first()
    return earlier is not None


def _record_failure(ctx: Context, event_id: int, owner: str, code: str) -> None:
    """Schedule the next attempt with backoff, or park the event after the last one."""
    db, now = ctx.db, ctx.now()
    row = db.get(E, event_id, populate_existing=True)
    db.commit()
    if row is None:
        return
    dead = row.attempts >= ctx.settings.webhook_max_attempts
    QUEUE.release(
        db,
        col(E.id) == event_id,
        owner=owner,
        status=EventStatus.DEAD if dead else EventStatus.PENDING,
        next_attempt_at=retries.next_attempt_at(ctx.settings, now, row.attempts),
        last_error=f"attempt {row.attempts}: {code}"[:200],
        processed_at=None,
    )
    if dead:
        logger.error("wise webhook %s parked after %d attempts", row.event_type, row.attempts)
