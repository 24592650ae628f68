"""The onboarding-session state machine.

created → launched → linked | declined | failed, or expired.

Every transition is a single ``UPDATE ... WHERE <expected status>`` whose row count decides the
winner, so concurrent requests on any number of instances agree. No transaction is held open
while Wise is called.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from backend.crypto import TokenCipher
from backend.errors import (
    CallbackRejected,
    InvalidRequest,
    InvalidReturnUrl,
    LaunchLinkUnavailable,
    NotFound,
    ServiceUnavailable,
)
from backend.models import (
    FailureReason,
    OnboardingSession,
    OnboardingSessionCreate,
    SessionStatus,
)
from backend.security import (
    hash_secret,
    is_allowed_return_url,
    new_secret,
    plausible_secret,
    with_query,
)
from backend.services import links
from backend.services.identity import GrantedProfile, identity_failure
from backend.settings import Settings
from backend.wise import (
    TokenSet,
    WiseApiError,
    WiseClient,
    WiseOAuthError,
    WiseProtocolError,
    WiseUnavailable,
)
from backend.wise.client import safe_error_code

# A callback that won the state but never finished (the process died mid-exchange) is failed after
# this long, so the partner is not left waiting on a session stuck in "launched".
INTERRUPTED_AFTER = timedelta(minutes=5)

S = OnboardingSession
USED = "This sign-in link has already been used. Please start again from the app."


@dataclass(frozen=True)
class Launch:
    """A won launch: where to send the browser and the binding value for its cookie."""

    session: OnboardingSession
    authorize_url: str
    binding: str


@dataclass(frozen=True)
class Outcome:
    """A finished callback: the session and the allowlisted URL to send the browser back to."""

    session: OnboardingSession
    return_to: str


def create_session(
    *, db: Session, settings: Settings, now: datetime, data: OnboardingSessionCreate
) -> tuple[OnboardingSession, str]:
    """Create a session and return it with its launch URL (the only time the token is known)."""
    ttl = data.ttl_seconds or settings.session_ttl_seconds
    if ttl > settings.session_max_ttl_seconds:
        raise InvalidRequest(
            f"ttl_seconds must be at most {settings.session_max_ttl_seconds}", field="ttl_seconds"
        )
    if not is_allowed_return_url(data.return_url, settings.return_urls):
        raise InvalidReturnUrl(field="return_url")
    customer = data.customer
    if customer.type == "personal" and customer.date_of_birth is None:
        raise InvalidRequest(
            "customer.date_of_birth is required for personal customers: "
            "it is checked against the linked Wise profile",
            field="customer.date_of_birth",
        )
    token = new_secret()
    row = OnboardingSession(
        customer_external_id=customer.external_id,
        customer_type=customer.type,
        customer_email=customer.email,
        customer_date_of_birth=customer.date_of_birth,
        return_url=data.return_url,
        launch_token_hash=hash_secret(token),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    db.add(row)
    db.commit()
    return row, f"{settings.public_base_url}/onboarding/launch/{token}"


def get_session(*, db: Session, now: datetime, session_id: str) -> OnboardingSession:
    """Return a session, first moving it to expired or failed if its time has run out."""
    row = db.get(S, session_id) if len(session_id) <= 36 else None
    if row is None:
        raise NotFound("No onboarding session with this id.")
    return _settle_if_stale(db=db, row=row, now=now)


def launch(
    *, db: Session, settings: Settings, wise: WiseClient, now: datetime, token: str
) -> Launch:
    """Redeem a launch token once and prepare the redirect to Wise's authorize page."""
    if not settings.wise_configured:
        # Checked before the token is spent, so the link still works once Wise is configured.
        raise ServiceUnavailable("Wise is not configured for this service yet.")
    if not plausible_secret(token):
        raise LaunchLinkUnavailable()
    token_hash = hash_secret(token)
    state, binding = new_secret(), new_secret()
    won = _transition(
        db,
        (
            col(S.launch_token_hash) == token_hash,
            col(S.status) == SessionStatus.CREATED,
            col(S.expires_at) > now,
        ),
        status=SessionStatus.LAUNCHED,
        launched_at=now,
        state_hash=hash_secret(state),
        binding_hash=hash_secret(binding),
        state_expires_at=now + timedelta(seconds=settings.state_ttl_seconds),
    )
    db.commit()
    row = db.exec(select(S).where(col(S.launch_token_hash) == token_hash)).first()
    if not won or row is None:
        link = None
        if row is not None:
            row = _settle_if_stale(db=db, row=row, now=now)
            link = _return_link(settings, row, status=SessionStatus.EXPIRED)
        raise LaunchLinkUnavailable(return_link=link)
    return Launch(session=row, authorize_url=wise.authorize_url(state=state), binding=binding)


def complete(
    *,
    db: Session,
    settings: Settings,
    wise: WiseClient,
    cipher: TokenCipher,
    now: datetime,
    params: Mapping[str, str],
    binding: str | None,
) -> Outcome:
    """Handle Wise's redirect back: claim the state, exchange the code, check identity, link."""
    state = params.get("state")
    if not plausible_secret(state):
        raise CallbackRejected("This page was opened without a valid sign-in reference.")
    assert state is not None
    row = _claim_state(db=db, now=now, state=state, binding=binding)
    if row.status == SessionStatus.EXPIRED:
        return _outcome(settings, row)
    if "error" in params:
        error = safe_error_code(params.get("error"))
        if error == "access_denied":
            return _finish(db, settings, row, now, SessionStatus.DECLINED, wise_error=error)
        return _finish(
            db, settings, row, now, SessionStatus.FAILED, FailureReason.WISE_ERROR, error
        )
    code = params.get("code")
    if not code or len(code) > 512:
        return _finish(db, settings, row, now, SessionStatus.FAILED, FailureReason.INVALID_CALLBACK)
    profile_param = params.get("profileId") or params.get("profileID")
    if not profile_param or not profile_param.isdigit() or len(profile_param) > 18:
        # A Wise account without a profile was linked; Wise asks partners to reject it. The code
        # is not exchanged, so no token is ever issued for it.
        return _finish(db, settings, row, now, SessionStatus.FAILED, FailureReason.NO_PROFILE)
    try:
        tokens = wise.exchange_code(code=code)
        body = wise.get_profile(access_token=tokens.access_token, profile_id=int(profile_param))
    except (WiseUnavailable, WiseProtocolError):
        return _finish(db, settings, row, now, SessionStatus.FAILED, FailureReason.WISE_UNAVAILABLE)
    except WiseOAuthError as exc:
        return _finish(
            db,
            settings,
            row,
            now,
            SessionStatus.FAILED,
            FailureReason.TOKEN_EXCHANGE_FAILED,
            exc.error,
        )
    except WiseApiError as exc:
        reason = FailureReason.NO_PROFILE if exc.status in (403, 404) else FailureReason.WISE_ERROR
        return _finish(db, settings, row, now, SessionStatus.FAILED, reason, f"http_{exc.status}")
    profile = GrantedProfile.parse(body)
    if profile is None or profile.id != int(profile_param):
        return _finish(db, settings, row, now, SessionStatus.FAILED, FailureReason.NO_PROFILE)
    failure = identity_failure(
        profile=profile,
        customer_type=row.customer_type,
        customer_date_of_birth=row.customer_date_of_birth,
    )
    if failure is not None:
        # The tokens are dropped here: they belong to someone the partner did not verify.
        return _finish(db, settings, row, now, SessionStatus.FAILED, failure)
    return _link(db, settings, cipher, row, now, profile, tokens)


def sweep(*, db: Session, now: datetime) -> int:
    """Settle every stale session (expired or interrupted); return how many changed."""
    interrupted = (col(S.status) == SessionStatus.LAUNCHED) & (
        col(S.state_consumed_at) <= now - INTERRUPTED_AFTER
    )
    changed = 0
    for row in db.exec(select(S).where(_stale_condition(now) | interrupted)).all():
        before = row.status
        changed += _settle_if_stale(db=db, row=row, now=now).status != before
    return changed


# -- internals --------------------------------------------------------------------------------


def _claim_state(
    *, db: Session, now: datetime, state: str, binding: str | None
) -> OnboardingSession:
    """Consume the state once, for the browser that launched; explain any refusal."""
    state_hash = hash_secret(state)
    if plausible_secret(binding):
        assert binding is not None
        won = _transition(
            db,
            (
                col(S.state_hash) == state_hash,
                col(S.binding_hash) == hash_secret(binding),
                col(S.state_consumed_at).is_(None),
                col(S.status) == SessionStatus.LAUNCHED,
                col(S.state_expires_at) > now,
            ),
            state_consumed_at=now,
        )
        db.commit()
        if won:
            claimed = db.exec(select(S).where(col(S.state_hash) == state_hash)).one()
            db.refresh(claimed)
            return claimed
    row = db.exec(select(S).where(col(S.state_hash) == state_hash)).first()
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
    row = _settle_if_stale(db=db, row=row, now=now)
    if row.status == SessionStatus.EXPIRED and row.state_consumed_at is None:
        return row
    raise CallbackRejected(USED)


def _link(
    db: Session,
    settings: Settings,
    cipher: TokenCipher,
    row: OnboardingSession,
    now: datetime,
    profile: GrantedProfile,
    tokens: TokenSet,
) -> Outcome:
    """Store the link and mark the session linked in one transaction."""
    for attempt in range(2):
        links.store_link(
            db=db,
            settings=settings,
            cipher=cipher,
            now=now,
            customer_external_id=row.customer_external_id,
            session_id=row.id,
            profile_id=profile.id,
            profile_type=profile.type,
            wise_user_id=profile.user_id,
            tokens=tokens,
        )
        try:
            return _finish(db, settings, row, now, SessionStatus.LINKED, wise_profile_id=profile.id)
        except IntegrityError:
            # Another session of this customer inserted the link row first; update it instead.
            db.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _finish(
    db: Session,
    settings: Settings,
    row: OnboardingSession,
    now: datetime,
    status: SessionStatus,
    reason: FailureReason | None = None,
    wise_error: str | None = None,
    wise_profile_id: int | None = None,
) -> Outcome:
    """Move a launched session to a terminal status, erase its personal data, and commit."""
    _transition(
        db,
        (col(S.id) == row.id, col(S.status) == SessionStatus.LAUNCHED),
        status=status,
        failure_reason=reason,
        wise_error=wise_error,
        wise_profile_id=wise_profile_id,
        completed_at=now,
        customer_email=None,
        customer_date_of_birth=None,
    )
    db.commit()
    db.refresh(row)
    return _outcome(settings, row)


def _settle_if_stale(*, db: Session, row: OnboardingSession, now: datetime) -> OnboardingSession:
    """Expire or fail a session whose time ran out; a no-op for live or finished sessions."""
    changed = _transition(
        db,
        (col(S.id) == row.id, _stale_condition(now)),
        status=SessionStatus.EXPIRED,
        completed_at=now,
        customer_email=None,
        customer_date_of_birth=None,
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
        customer_email=None,
        customer_date_of_birth=None,
    )
    if changed or interrupted:
        db.commit()
        db.refresh(row)
    return row


def _stale_condition(now: datetime) -> ColumnElement[bool]:
    created_expired = (col(S.status) == SessionStatus.CREATED) & (col(S.expires_at) <= now)
    launched_expired = (
        (col(S.status) == SessionStatus.LAUNCHED)
        & col(S.state_consumed_at).is_(None)
        & (col(S.state_expires_at) <= now)
    )
    return created_expired | launched_expired


def _transition(db: Session, where: Any, **values: Any) -> bool:
    """Compare-and-set: apply ``values`` only where ``where`` still holds; True if a row changed."""
    conditions = where if isinstance(where, tuple) else (where,)
    result = db.exec(update(S).where(*conditions).values(**values))
    return bool(result.rowcount == 1)


def _outcome(settings: Settings, row: OnboardingSession) -> Outcome:
    link = _return_link(settings, row, status=SessionStatus(row.status))
    if link is None:
        raise CallbackRejected("The app you came from is no longer accepting this sign-in.")
    return Outcome(session=row, return_to=link)


def _return_link(
    settings: Settings, row: OnboardingSession, *, status: SessionStatus
) -> str | None:
    """The return URL with the outcome, or None if it left the allowlist since creation."""
    if not is_allowed_return_url(row.return_url, settings.return_urls):
        return None
    params = {"session_id": row.id, "status": str(status)}
    if status == SessionStatus.FAILED and row.failure_reason:
        params["reason"] = row.failure_reason
    return with_query(row.return_url, params)
