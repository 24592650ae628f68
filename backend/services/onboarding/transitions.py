"""The session state machine: every statement that changes a session's state is a function here.

created → launched → linked | declined | failed, or expired; plus the preparation lease (prefill)
and the one-time claim of the OAuth state. Each is a single ``UPDATE ... WHERE <expected state>``
whose row count decides the winner. Terminal transitions erase the session's personal data in the
same statement. The other modules of this package only orchestrate: validate, call Wise, choose
the transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from backend import metrics
from backend.context import Context
from backend.errors import CallbackRejected, LaunchLinkUnavailable, NotFound
from backend.leases import Leasable
from backend.models import (
    FailureReason,
    IdentityCheck,
    OnboardingSession,
    SessionMode,
    SessionStatus,
)
from backend.security import is_allowed_return_url, with_query
from backend.services import notifications
from backend.services.onboarding import statements
from backend.settings import Settings

# A callback that won the state but never finished (the process died mid-exchange) is failed after
# this long, so the partner is not left waiting on a session stuck in "launched".
INTERRUPTED_AFTER = timedelta(minutes=5)

S = OnboardingSession
# One launch request of a prefill session prepares Wise at a time.
PREPARE_LEASE = Leasable(OnboardingSession, "prepare_lease_owner", "prepare_lease_until")

# Every transition into a terminal status erases the session's personal data with these values.
ERASED: dict[str, Any] = {
    "customer_email": None,
    "customer_date_of_birth": None,
    "customer_registration_number": None,
    "prefill_ciphertext": None,
}


@dataclass(frozen=True)
class Outcome:
    """A finished callback: the session and the allowlisted URL to send the browser back to."""

    session: OnboardingSession
    return_to: str


def get_session(*, ctx: Context, session_id: str) -> OnboardingSession:
    """Return a session, first moving it to expired or failed if its time has run out."""
    row = ctx.db.get(S, session_id) if len(session_id) <= 36 else None
    if row is None:
        raise NotFound("No onboarding session with this id.")
    return settle_if_stale(ctx=ctx, row=row, now=ctx.now())


def sweep(*, ctx: Context) -> int:
    """Settle every stale session (expired or interrupted); return how many changed."""
    now = ctx.now()
    interrupted = (col(S.status) == SessionStatus.LAUNCHED) & (
        col(S.state_consumed_at) <= now - INTERRUPTED_AFTER
    )
    changed = 0
    for row in ctx.db.exec(select(S).where(stale_condition(now) | interrupted)).all():
        before = row.status
        changed += settle_if_stale(ctx=ctx, row=row, now=now).status != before
    return changed


def take_prepare_lease(
    *, ctx: Context, row_id: str, owner: str, now: datetime, until: datetime
) -> bool:
    """Lease a created, unexpired session for prefill preparation; True if this call got it.

    One request of a link talks to Wise at a time; a crashed holder's lease simply runs out.
    """
    return PREPARE_LEASE.take(
        ctx.db,
        col(S.id) == row_id,
        col(S.status) == SessionStatus.CREATED,
        col(S.expires_at) > now,
        owner=owner,
        until=until,
        now=now,
    )


def release_prepare_lease(*, ctx: Context, row_id: str, owner: str) -> None:
    """Give back a preparation lease, only if this request still holds it."""
    PREPARE_LEASE.release(ctx.db, col(S.id) == row_id, owner=owner)


def mark_launched(
    *,
    ctx: Context,
    token_hash: str,
    now: datetime,
    state_hash: str,
    binding_hash: str,
    state_expires_at: datetime,
    mode: SessionMode | None = None,
    lease_owner: str | None = None,
    **prepared: Any,
) -> OnboardingSession | None:
    """created → launched: spend the launch token and store the state and browser binding.

    Returns the launched row, or None when this call did not win (the caller reads the row to
    explain why). With ``mode`` only a session of that mode is launched. With ``lease_owner`` it
    only happens while that preparation lease is still held, and the lease is released in the
    same statement. ``prepared`` carries what preparation produced.

    One statement launches and returns the row (UPDATE ... RETURNING), so the winner needs no
    read before or after it.
    """
    values = {
        "status": SessionStatus.LAUNCHED,
        "launched_at": now,
        "state_hash": state_hash,
        "binding_hash": binding_hash,
        "state_expires_at": state_expires_at,
        **PREPARE_LEASE.cleared(),
        **prepared,
    }
    statement = statements.launch(
        with_mode=mode is not None,
        with_lease=lease_owner is not None,
        columns=tuple(sorted(values)),
    )
    params = {f"v_{column}": value for column, value in values.items()}
    params.update(b_token_hash=token_hash, b_now=now, b_mode=mode, b_lease_owner=lease_owner)
    launched = ctx.db.exec(statement, params=params).scalars().first()
    ctx.db.commit()
    return launched


def claim_state(
    *, ctx: Context, state_hash: str, binding_hash: str, now: datetime
) -> OnboardingSession | None:
    """Consume the OAuth state once, for the browser that launched; the row, or None if lost.

    One statement claims and returns the row (UPDATE ... RETURNING, supported by SQLite 3.35+
    and PostgreSQL), so the winner needs no second read. It is the callback's first look at the
    session, so no session object needs synchronising with it.
    """
    params = {"b_state_hash": state_hash, "b_binding_hash": binding_hash, "b_now": now}
    claimed = ctx.db.exec(statements.CLAIM_STATE, params=params).scalars().first()
    ctx.db.commit()
    return claimed


def claim_by_binding(*, ctx: Context, binding_hash: str, now: datetime) -> OnboardingSession | None:
    """Consume the launch of the browser holding this binding, when Wise sent no state back.

    Only an error redirect is tied to its session this way (``callback``): it ends the session
    without exchanging anything, so the binding cookie alone is enough to say which one it was.
    """
    claimed = (
        ctx.db.exec(
            update(S)
            .where(
                col(S.binding_hash) == binding_hash,
                col(S.state_consumed_at).is_(None),
                col(S.status) == SessionStatus.LAUNCHED,
                col(S.state_expires_at) > now,
            )
            .values(state_consumed_at=now)
            .returning(S)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .first()
    )
    ctx.db.commit()
    return claimed


def finish(
    *,
    ctx: Context,
    row: OnboardingSession,
    now: datetime,
    status: SessionStatus,
    reason: FailureReason | None = None,
    wise_error: str | None = None,
    wise_profile_id: int | None = None,
    identity_check: IdentityCheck | None = None,
) -> Outcome:
    """Move a launched session to a terminal status, erase its personal data, and commit."""
    values: dict[str, Any] = {
        "status": status,
        "failure_reason": reason,
        "wise_error": wise_error,
        "wise_profile_id": wise_profile_id,
        "identity_check": identity_check,
        "completed_at": now,
        **ERASED,
    }
    # Below, the winner records exactly these values on the row and the loser refreshes it.
    finished = ctx.db.execute(statements.FINISH, {**values, "b_id": row.id})
    won = finished.rowcount == 1  # type: ignore[attr-defined]
    if won:
        # The partner hears of the outcome from the outbox, written with the outcome itself.
        notifications.record_session(ctx=ctx, now=now, row=row, **values)
    ctx.db.commit()
    if won:
        metrics.SESSIONS_FINISHED.labels(status=status, reason=reason or "none").inc()
        # The row now holds exactly these values: record them as loaded instead of reading back.
        for key, value in values.items():
            set_committed_value(row, key, value)
    else:
        # Someone else finished it first (e.g. the sweep after an interruption): report theirs.
        ctx.db.refresh(row)
    return outcome(settings=ctx.settings, row=row)


def settle_if_stale(*, ctx: Context, row: OnboardingSession, now: datetime) -> OnboardingSession:
    """Expire or fail a session whose time ran out; a no-op for live or finished sessions."""
    db = ctx.db
    changed = _transition(
        db,
        (col(S.id) == row.id, stale_condition(now)),
        status=SessionStatus.EXPIRED,
        completed_at=now,
        **PREPARE_LEASE.cleared(),
        **ERASED,
    )
    # A session whose state was claimed but never finished is not expired: it was interrupted.
    interrupted = _transition(
        db,
        (
            col(S.id) == row.id,
            col(S.status) == SessionStatus.LAUNCHED,
            col(S.state_consumed_at) <= now - INTERRUPTED_AFTER,
        ),
        status=SessionStatus.FAILED,
        failure_reason=FailureReason.INTERRUPTED,
        completed_at=now,
        **ERASED,
    )
    if changed or interrupted:
        db.refresh(row)  # this transaction's own write: the row as it ends
        # Recorded with the expiry itself: whoever settles it (the worker's sweep, a partner
        # reading the session, a late return) tells the partner exactly once.
        notifications.record_session(ctx=ctx, now=now, row=row)
        db.commit()
        if changed:
            metrics.SESSIONS_FINISHED.labels(status=SessionStatus.EXPIRED, reason="none").inc()
        if interrupted:
            metrics.SESSIONS_FINISHED.labels(
                status=SessionStatus.FAILED, reason=FailureReason.INTERRUPTED
            ).inc()
    return row


def stale_condition(now: datetime) -> ColumnElement[bool]:
    """Created sessions past their expiry, and launched ones whose state window ran out."""
    created_expired = (col(S.status) == SessionStatus.CREATED) & (col(S.expires_at) <= now)
    launched_expired = (
        (col(S.status) == SessionStatus.LAUNCHED)
        & col(S.state_consumed_at).is_(None)
        & (col(S.state_expires_at) <= now)
    )
    return created_expired | launched_expired


def _transition(db: Session, where: Any, **values: Any) -> bool:
    """Compare-and-set: apply ``values`` only where ``where`` still holds; True if a row changed.

    Session objects are synchronised the ORM's way: the WHERE is evaluated against them in
    Python and matching ones take ``values`` (``settle_if_stale`` relies on it when another
    request settled the row first). The journey's own transitions (``statements``) skip that:
    they record or re-read the values themselves once they know whether they won.
    """
    conditions = where if isinstance(where, tuple) else (where,)
    return bool(db.exec(update(S).where(*conditions).values(**values)).rowcount == 1)


def outcome(*, settings: Settings, row: OnboardingSession) -> Outcome:
    """Where a finished session sends the browser: its return URL with the outcome."""
    link = return_link(settings, row, status=SessionStatus(row.status))
    if link is None:
        raise CallbackRejected("The app you came from is no longer accepting this sign-in.")
    return Outcome(session=row, return_to=link)


def dead_link(settings: Settings, row: OnboardingSession) -> LaunchLinkUnavailable:
    """What a launch link of ``row`` that no longer works answers.

    With a refresh URL (still allowlisted) the browser goes there with ``session_id`` and
    ``reason`` (``expired``, or ``used`` for a link already redeemed), so the partner can sign the
    customer in and mint a fresh session; otherwise a page with the way back to the app.
    """
    reason = "expired" if row.status == SessionStatus.EXPIRED else "used"
    refresh = None
    if row.refresh_url and is_allowed_return_url(row.refresh_url, settings.return_urls):
        refresh = with_query(row.refresh_url, {"session_id": row.id, "reason": reason})
    return LaunchLinkUnavailable(
        return_link=return_link(settings, row, status=SessionStatus.EXPIRED), refresh_link=refresh
    )


def return_link(settings: Settings, row: OnboardingSession, *, status: SessionStatus) -> str | None:
    """The return URL with the outcome, or None if it left the allowlist since creation."""
    if not is_allowed_return_url(row.return_url, settings.return_urls):
        return None
    params = {"session_id": row.id, "status": str(status)}
    if status == SessionStatus.FAILED and row.failure_reason:
        params["reason"] = row.failure_reason
    return with_query(row.return_url, params)
