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
from typing import Any

from sqlalchemy import Row, Table, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend import logs, metrics, retries
from backend.context import Context
from backend.db import UTCDateTime
from backend.leases import Leasable, new_owner
from backend.models import EventStatus, WiseWebhookEvent
from backend.services.webhooks.events import plan

logger = logging.getLogger(__name__)

E = WiseWebhookEvent
TABLE: Table = WiseWebhookEvent.__table__  # type: ignore[attr-defined]
C = TABLE.c
QUEUE = Leasable(WiseWebhookEvent)
# Due events one claim takes: one statement and one commit for all of them, where a claim per
# event cost as much as applying it. Each is still applied in its own transaction.
BATCH = 20
# What applying an event needs of its row, returned by the claim itself.
CLAIMED = (C.id, C.event_key, C.event_type, C.body, C.request_id)

# The statements applying runs for every event, built once: building and cache-keying a
# statement cost more than executing it. Core, against the table: no session objects to sync.
LOCK_COPIES = select(C.id).where(C.event_key == bindparam("key")).order_by(C.id).with_for_update()
MARK_STARTED = (
    update(TABLE)
    .where(
        C.id == bindparam("event_id"),
        C.lease_owner == bindparam("owner"),
        C.status == EventStatus.PENDING,
    )
    .values(processed_at=bindparam("now", type_=UTCDateTime()))
)
# Its SET values come from the parameters named like the columns.
MARK_FINISHED = update(TABLE).where(C.id == bindparam("event_id"))
ALREADY_APPLIED = (
    select(C.id)
    .where(C.event_key == bindparam("key"), C.id != bindparam("event_id"), C.outcome == "applied")
    .limit(1)
)
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
    """Apply due events oldest first until none is due (or ``limit``).

    Events are claimed ``BATCH`` at a time, in one statement, and applied one at a time, each in
    its own transaction. A failing event is scheduled again with backoff, or parked; it never
    stops the others. ``keep_going`` is asked between events (the worker's stop signal); claimed
    events not started by then are handed back at once rather than left to their lease.
    """
    owner = new_owner()
    done = failed = 0
    while done + failed < limit and keep_going():
        batch = claim_due(ctx=ctx, owner=owner, limit=min(BATCH, limit - done - failed))
        if not batch:
            break
        for position, row in enumerate(batch):
            if not keep_going():
                hand_back(ctx=ctx, owner=owner, event_ids=[r.id for r in batch[position:]])
                return PendingReport(processed=done, failed=failed)
            outcome = apply_claimed(ctx=ctx, row=row, owner=owner)
            metrics.WEBHOOKS_PROCESSED.labels(outcome=PROCESSED_LABELS.get(outcome, "other")).inc()
            if outcome == "failed":
                failed += 1
            else:
                done += 1
    return PendingReport(processed=done, failed=failed)


def claim_due(*, ctx: Context, owner: str, limit: int) -> list[Row[Any]]:
    """Lease up to ``limit`` due events to ``owner`` in one statement, oldest first."""
    now = ctx.now()
    claimed = QUEUE.claim_batch(
        ctx.db,
        C.status == EventStatus.PENDING,
        C.next_attempt_at <= now,
        order_by=[C.id],
        limit=limit,
        owner=owner,
        # Applying takes milliseconds and calls nobody: a worker that held it this long died.
        until=now + lease_length(ctx),
        now=now,
        returning=CLAIMED,
        attempts=C.attempts + 1,
    )
    return sorted(claimed, key=lambda row: int(row.id))


def hand_back(*, ctx: Context, owner: str, event_ids: list[int]) -> None:
    """Free claimed events this worker will not start (it is stopping), attempts undone."""
    QUEUE.release(
        ctx.db,
        C.id.in_(event_ids),
        C.status == EventStatus.PENDING,
        owner=owner,
        attempts=C.attempts - 1,
    )


def apply_claimed(*, ctx: Context, row: Row[Any], owner: str) -> str:
    """Apply one event this worker claimed; its outcome, or ``failed``."""
    db, event_id = ctx.db, int(row.id)
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


def _apply(ctx: Context, row: Row[Any], owner: str) -> str:
    """Apply one claimed event in one transaction; its outcome."""
    db, now, event_id = ctx.db, ctx.now(), int(row.id)
    if row.event_key is not None and db.get_bind().dialect.name == "postgresql":
        # Copies of one event are applied one after the other: these row locks (in id order)
        # make the later copy wait, then see that the earlier one was applied. SQLite has one
        # writer at a time, and the first write below already waits for it.
        db.execute(LOCK_COPIES, {"key": row.event_key}).all()
    # The first write of the transaction, and only while this worker holds the lease.
    mine = db.execute(MARK_STARTED, {"event_id": event_id, "owner": owner, "now": now})
    if mine.rowcount != 1:  # type: ignore[attr-defined]
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
    db.execute(
        MARK_FINISHED,
        {
            "event_id": event_id,
            "status": status,
            "outcome": outcome,
            "last_error": decided.park_reason,
            "processed_at": now if status == EventStatus.DONE else None,
            "lease_owner": None,
            "lease_until": None,
        },
    )
    db.commit()
    logger.info("wise webhook %s: %s", row.event_type or "(unreadable)", outcome)
    return outcome


def _already_applied(ctx: Context, row: Row[Any]) -> bool:
    """The same event came through another subscription and was applied already."""
    earlier = ctx.db.execute(ALREADY_APPLIED, {"key": row.event_key, "event_id": row.id})
    return earlier.first() is not None


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
