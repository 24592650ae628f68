"""The OAuth return: claim the state for the launching browser, exchange the code, check the
identity, store the link."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend import logs
from backend.context import Context
from backend.errors import CallbackRejected
from backend.models import FailureReason, IdentityCheck, OnboardingSession, SessionStatus
from backend.security import hash_secret, plausible_secret
from backend.services import links
from backend.services.identity import GrantedProfile, check_identity
from backend.services.onboarding.transitions import (
    Outcome,
    S,
    claim_by_binding,
    claim_state,
    finish,
    outcome,
    settle_if_stale,
)
from backend.wise import (
    TokenSet,
    WiseApiError,
    WiseOAuthError,
    WiseProtocolError,
    WiseUnavailable,
)
from backend.wise.client import safe_error_code

# ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
PROFILE_ID_RE = re.compile(r"^[0-9]{1,18}\Z")
FAILED = SessionStatus.FAILED
USED = "This sign-in link has already been used. Please start again from the app."


def complete(*, ctx: Context, params: Mapping[str, str], binding: str | None) -> Outcome:
    """Handle Wise's redirect back: claim the state, exchange the code, check identity, link."""
    now = ctx.now()
    state = params.get("state")
    if not plausible_secret(state):
        if "error" in params:
            # Wise does not say whether an error redirect carries the state back.
            return _error_without_state(ctx=ctx, now=now, params=params, binding=binding)
        raise CallbackRejected("This page was opened without a valid sign-in reference.")
    assert state is not None
    row = _claim_state(ctx=ctx, now=now, state=state, binding=binding)
    logs.set_session(row.id)
    if row.status == SessionStatus.EXPIRED:
        return outcome(settings=ctx.settings, row=row)
    if "error" in params:
        return _end_with_error(ctx=ctx, row=row, now=now, params=params)
    done = partial(finish, ctx=ctx, row=row, now=now)
    code = params.get("code")
    if not code or len(code) > 512:
        return done(status=FAILED, reason=FailureReason.INVALID_CALLBACK)
    profile_param = params.get("profileId") or params.get("profileID")
    if not profile_param or not PROFILE_ID_RE.match(profile_param):
        # A Wise account without a profile was linked; Wise asks partners to reject it. The code
        # is not exchanged, so no token is ever issued for it.
        return done(status=FAILED, reason=FailureReason.NO_PROFILE)
    try:
        tokens = ctx.wise.exchange_code(code=code)
        body = ctx.wise.get_profile(access_token=tokens.access_token, profile_id=int(profile_param))
    except (WiseUnavailable, WiseProtocolError):
        return done(status=FAILED, reason=FailureReason.WISE_UNAVAILABLE)
    except WiseOAuthError as exc:
        return done(status=FAILED, reason=FailureReason.TOKEN_EXCHANGE_FAILED, wise_error=exc.error)
    except WiseApiError as exc:
        reason = FailureReason.NO_PROFILE if exc.status in (403, 404) else FailureReason.WISE_ERROR
        return done(status=FAILED, reason=reason, wise_error=f"http_{exc.status}")
    profile = GrantedProfile.parse(body)
    if profile is None or profile.id != int(profile_param):
        return done(status=FAILED, reason=FailureReason.NO_PROFILE)
    identity = check_identity(
        profile=profile,
        customer_type=row.customer_type,
        customer_date_of_birth=row.customer_date_of_birth,
        customer_registration_number=row.customer_registration_number,
    )
    if identity.failure is not None:
        # The tokens are dropped here: they belong to someone the partner did not verify.
        return done(status=FAILED, reason=identity.failure, identity_check=identity.check)
    return _link(ctx, row, now, profile, tokens, identity.check)


def _end_with_error(
    *, ctx: Context, row: OnboardingSession, now: datetime, params: Mapping[str, str]
) -> Outcome:
    """Wise sent the customer back with ``error``: declined when they denied, failed otherwise."""
    error = safe_error_code(params.get("error"))
    if error == "access_denied":
        return finish(ctx=ctx, row=row, now=now, status=SessionStatus.DECLINED, wise_error=error)
    return finish(
        ctx=ctx,
        row=row,
        now=now,
        status=FAILED,
        reason=FailureReason.WISE_ERROR,
        wise_error=error,
    )


def _error_without_state(
    *, ctx: Context, now: datetime, params: Mapping[str, str], binding: str | None
) -> Outcome:
    """An error redirect without ``state``: end the session of this browser, if it has one.

    The browser-binding cookie names the launch this browser made. That is enough to end its
    session as declined or failed, since nothing is exchanged; a code would never be accepted
    without the state. Without a live launch in this browser, the customer gets a clear page.
    """
    if plausible_secret(binding):
        assert binding is not None
        row = claim_by_binding(ctx=ctx, binding_hash=hash_secret(binding), now=now)
        if row is not None:
            return _end_with_error(ctx=ctx, row=row, now=now, params=params)
    denied = safe_error_code(params.get("error")) == "access_denied"
    what = "You chose not to connect" if denied else "Wise could not connect"
    raise CallbackRejected(
        f"{what} your Wise account, and we could not tell which sign-in this was (it may have "
        "ended already, or was started in another browser). Please go back to the app and start "
        "again if you want to connect your Wise account."
    )


def _claim_state(
    *, ctx: Context, now: datetime, state: str, binding: str | None
) -> OnboardingSession:
    """Consume the state once, for the browser that launched; explain any refusal."""
    state_hash = hash_secret(state)
    if plausible_secret(binding):
        assert binding is not None
        claimed = claim_state(
            ctx=ctx, state_hash=state_hash, binding_hash=hash_secret(binding), now=now
        )
        if claimed is not None:
            return claimed
    row = ctx.db.exec(select(S).where(col(S.state_hash) == state_hash)).first()
    if row is None:
        raise CallbackRejected("This sign-in reference is not known. Please start again.")
    # A spent state is reported as such whatever the cookie: after a finished return the
    # browser no longer holds its binding cookie, and "different browser" would mislead.
    if row.state_consumed_at is not None:
        raise CallbackRejected(USED)
    if not plausible_secret(binding) or not hmac.compare_digest(
        row.binding_hash or "", hash_secret(binding or "")
    ):
        raise CallbackRejected(
            "This page was opened in a different browser from the one that started connecting "
            "your Wise account. Please start again from the app."
        )
    row = settle_if_stale(ctx=ctx, row=row, now=now)
    if row.status == SessionStatus.EXPIRED and row.state_consumed_at is None:
        return row
    raise CallbackRejected(USED)


def _link(
    ctx: Context,
    row: OnboardingSession,
    now: datetime,
    profile: GrantedProfile,
    tokens: TokenSet,
    identity_check: IdentityCheck,
) -> Outcome:
    """Store the link and mark the session linked in one transaction."""
    for attempt in range(2):
        try:
            links.store_link(
                ctx=ctx,
                now=now,
                customer_external_id=row.customer_external_id,
                session_id=row.id,
                profile_id=profile.id,
                profile_type=profile.type,
                wise_user_id=profile.user_id,
                tokens=tokens,
                identity_check=identity_check,
            )
            return finish(
                ctx=ctx,
                row=row,
                now=now,
                status=SessionStatus.LINKED,
                wise_profile_id=profile.id,
                identity_check=identity_check,
            )
        except IntegrityError:
            # Another session of this customer inserted the link row first; update it instead.
            ctx.db.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")
