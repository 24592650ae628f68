"""Launching: redeem the single-use link once and send the browser to Wise's authorize page.

In prefill mode a launch first takes a preparation lease on the created session (also a
compare-and-set), prepares the Wise account (``backend.services.prefill``) and only then moves the
session to launched, in the same statement that releases the lease.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from backend import logs
from backend.context import Context
from backend.errors import (
    LaunchInProgress,
    LaunchLinkUnavailable,
    ServiceUnavailable,
    WiseUnavailableAtLaunch,
)
from backend.leases import new_owner
from backend.models import OnboardingSession, SessionMode, SessionStatus
from backend.security import hash_secret, new_secret, plausible_secret
from backend.services import prefill
from backend.services.onboarding.transitions import (
    S,
    dead_link,
    mark_launched,
    release_prepare_lease,
    settle_if_stale,
    take_prepare_lease,
)
from backend.wise import WiseError
from backend.wise.retry import BudgetExhausted

logger = logging.getLogger(__name__)

# Seconds a customer is asked to wait before trying a launch link again.
LAUNCH_RETRY_AFTER = "5"


@dataclass(frozen=True)
class Launch:
    """A won launch: where to send the browser and the binding value for its cookie."""

    session: OnboardingSession
    authorize_url: str
    binding: str


def launch(*, ctx: Context, token: str) -> Launch:
    """Redeem a launch token once and prepare the redirect to Wise's authorize page."""
    if not ctx.settings.wise_configured:
        # Checked before the token is spent, so the link still works once Wise is configured.
        raise ServiceUnavailable("Wise is not configured for this service yet.")
    if not plausible_secret(token):
        raise LaunchLinkUnavailable()
    token_hash = hash_secret(token)
    # The common case first: a link-mode session launched by one statement, with no read.
    launched = _redirect(ctx, ctx.now(), token_hash, claim_code=None, mode=SessionMode.LINK)
    if launched is not None:
        logs.set_session(launched.session.id)
        return launched
    row = ctx.db.exec(select(S).where(col(S.launch_token_hash) == token_hash)).first()
    if row is None:
        raise LaunchLinkUnavailable()
    logs.set_session(row.id)
    if row.mode == SessionMode.PREFILL:
        return _launch_prefilled(ctx, row)
    raise dead_link(ctx.settings, settle_if_stale(ctx=ctx, row=row, now=ctx.now()))


def _launch_prefilled(ctx: Context, row: OnboardingSession) -> Launch:
    """Prepare the Wise account under a lease on the session, then redirect.

    The lease (``backend.leases``, on the session row) lets exactly one request of a link
    talk to Wise at a time: a second one, e.g. a double click, gets a "try again" page at once
    instead of waiting, and never creates a second Wise user. A lease left by a crashed process
    runs out after the time budget plus a margin.
    """
    db, settings = ctx.db, ctx.settings
    now = ctx.now()
    owner = new_owner()
    lease_until = now + timedelta(seconds=settings.prefill_time_budget_seconds + 15)
    leased = take_prepare_lease(ctx=ctx, row_id=row.id, owner=owner, now=now, until=lease_until)
    db.refresh(row)
    if not leased:
        if row.status == SessionStatus.CREATED and row.expires_at > now:
            raise LaunchInProgress(headers={"Retry-After": LAUNCH_RETRY_AFTER})
        raise dead_link(settings, settle_if_stale(ctx=ctx, row=row, now=now))
    # End the read transaction the refresh opened: Wise is called next, for up to the budget.
    db.commit()
    try:
        prepared = prefill.prepare(ctx=ctx, session=row)
    except BaseException as exc:
        db.rollback()
        release_prepare_lease(ctx=ctx, row_id=row.id, owner=owner)
        if isinstance(exc, WiseError):
            # Not transient (e.g. Wise refuses the client credentials): say so to operators.
            logger.error("prefill launch of session %s failed: %s", row.id, exc)
        if isinstance(exc, BudgetExhausted | WiseError):
            raise WiseUnavailableAtLaunch(headers={"Retry-After": LAUNCH_RETRY_AFTER}) from None
        raise
    launched = _redirect(
        ctx,
        ctx.now(),
        row.launch_token_hash,
        claim_code=prepared.claim_code,
        lease_owner=owner,
        # Wise now holds the pre-filled data; the kit's copy is not needed any more.
        prefill_ciphertext=None,
        existing_account=prepared.existing_account,
        prefill_errors=json.dumps(prepared.errors) if prepared.errors else None,
    )
    if launched is None:
        # The lease ran out meanwhile and the session expired or another request launched it.
        db.refresh(row)
        raise dead_link(settings, settle_if_stale(ctx=ctx, row=row, now=ctx.now()))
    return launched


def _redirect(
    ctx: Context,
    now: datetime,
    token_hash: str,
    *,
    claim_code: str | None,
    mode: SessionMode | None = None,
    lease_owner: str | None = None,
    **prepared: Any,
) -> Launch | None:
    """Spend the launch token (created → launched) and build the authorize URL; None if lost."""
    state, binding = new_secret(), new_secret()
    row = mark_launched(
        ctx=ctx,
        token_hash=token_hash,
        now=now,
        state_hash=hash_secret(state),
        binding_hash=hash_secret(binding),
        state_expires_at=now + timedelta(seconds=ctx.settings.state_ttl_seconds),
        mode=mode,
        lease_owner=lease_owner,
        **prepared,
    )
    if row is None:
        return None
    authorize_url = ctx.wise.authorize_url(state=state, claim_account_code=claim_code)
    return Launch(session=row, authorize_url=authorize_url, binding=binding)
