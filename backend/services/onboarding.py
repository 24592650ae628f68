"""The onboarding-session state machine.

created → launched → linked | declined | failed, or expired.

Every transition is a single ``UPDATE ... WHERE <expected status>`` whose row count decides the
winner, so concurrent requests on any number of instances agree. No transaction is held open
while Wise is called.

In prefill mode a launch first takes a preparation lease on the created session (also a
compare-and-set), prepares the Wise account (``backend.services.prefill``) and only then moves the
session to launched, in the same statement that releases the lease.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from backend.clock import Clock
from backend.crypto import TokenCipher
from backend.errors import (
    CallbackRejected,
    InvalidRequest,
    InvalidReturnUrl,
    LaunchInProgress,
    LaunchLinkUnavailable,
    NotFound,
    ServiceUnavailable,
    WiseUnavailableAtLaunch,
)
from backend.models import (
    BusinessPrefill,
    FailureReason,
    IdentityCheck,
    OnboardingSession,
    OnboardingSessionCreate,
    OnboardingSessionCreated,
    SessionMode,
    SessionStatus,
)
from backend.security import (
    hash_secret,
    is_allowed_return_url,
    new_secret,
    plausible_secret,
    with_query,
)
from backend.services import idempotency, links, prefill
from backend.services.idempotency import IdempotencyKey
from backend.services.identity import GrantedProfile, check_identity
from backend.settings import Settings
from backend.wise import (
    TokenSet,
    WiseApiError,
    WiseClient,
    WiseError,
    WiseOAuthError,
    WiseProtocolError,
    WiseUnavailable,
)
from backend.wise.client import safe_error_code
from backend.wise.retry import BudgetExhausted

logger = logging.getLogger(__name__)

# A callback that won the state but never finished (the process died mid-exchange) is failed after
# this long, so the partner is not left waiting on a session stuck in "launched".
INTERRUPTED_AFTER = timedelta(minutes=5)

S = OnboardingSession
USED = "This sign-in link has already been used. Please start again from the app."

# Every transition into a terminal status erases the session's personal data with these values.
ERASED: dict[str, Any] = {
    "customer_email": None,
    "customer_date_of_birth": None,
    "customer_registration_number": None,
    "prefill_ciphertext": None,
}
# Seconds a customer is asked to wait before trying a launch link again.
LAUNCH_RETRY_AFTER = "5"


@dataclass(frozen=True)
class Launch:
    """A won launch: where to send the browser and the binding value for its cookie."""

    session: OnboardingSession
    authorize_url: str
    binding: str


@dataclass(frozen=True)
class Created:
    """A create answer: the 201 body, and whether it replays an earlier one (Idempotency-Key)."""

    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class Outcome:
    """A finished callback: the session and the allowlisted URL to send the browser back to."""

    session: OnboardingSession
    return_to: str


def create_session(
    *,
    db: Session,
    settings: Settings,
    cipher: TokenCipher,
    now: datetime,
    data: OnboardingSessionCreate,
    idempotency_key: IdempotencyKey | None = None,
) -> Created:
    """Create a session and return the 201 body with its launch URL.

    The launch URL is known only here. With an ``Idempotency-Key``, a retry with the same body
    gets this same answer back, and concurrent first uses of one key still create one session.
    """
    if idempotency_key is not None:
        earlier = idempotency.replay(db=db, cipher=cipher, now=now, key=idempotency_key)
        if earlier is not None:
            return Created(earlier, replayed=True)
    row, launch_url = _new_session(settings, cipher, now, data)
    db.add(row)
    body = OnboardingSessionCreated(
        id=row.id, status=row.status, launch_url=launch_url, expires_at=row.expires_at
    ).model_dump(mode="json")
    if idempotency_key is not None:
        idempotency.remember(
            db=db,
            settings=settings,
            cipher=cipher,
            now=now,
            key=idempotency_key,
            session_id=row.id,
            answer=body,
        )
    try:
        db.commit()
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key committed first; its session is the one.
        db.rollback()
        earlier = idempotency.replay(db=db, cipher=cipher, now=now, key=idempotency_key)
        if earlier is None:
            raise
        return Created(earlier, replayed=True)
    return Created(body)


def _new_session(
    settings: Settings, cipher: TokenCipher, now: datetime, data: OnboardingSessionCreate
) -> tuple[OnboardingSession, str]:
    """Check the body against the configuration and build the row and its launch URL."""
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
    registration_number = _registration_number(data)
    if data.mode == SessionMode.PREFILL and customer.prefill is None:
        raise InvalidRequest(
            'customer.prefill is required when mode is "prefill"', field="customer.prefill"
        )
    if data.mode == SessionMode.LINK and customer.prefill is not None:
        raise InvalidRequest(
            'customer.prefill is only used when mode is "prefill"', field="customer.prefill"
        )
    token = new_secret()
    row = OnboardingSession(
        mode=data.mode,
        customer_external_id=customer.external_id,
        customer_type=customer.type,
        customer_email=customer.email,
        customer_date_of_birth=customer.date_of_birth,
        customer_registration_number=registration_number,
        prefill_ciphertext=(
            prefill.encrypt_prefill(cipher, customer.prefill) if customer.prefill else None
        ),
        return_url=data.return_url,
        launch_token_hash=hash_secret(token),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    return row, f"{settings.public_base_url}/onboarding/launch/{token}"


def _registration_number(data: OnboardingSessionCreate) -> str | None:
    """The business registration number the identity check compares, if the partner gave one."""
    customer = data.customer
    if customer.type != "business":
        if customer.registration_number is not None:
            raise InvalidRequest(
                "customer.registration_number is only for business customers",
                field="customer.registration_number",
            )
        return None
    given = customer.registration_number
    prefilled = (
        customer.prefill.registration_number
        if isinstance(customer.prefill, BusinessPrefill)
        else None
    )
    if given and prefilled and given != prefilled:
        raise InvalidRequest(
            "customer.prefill.registration_number differs from customer.registration_number",
            field="customer.prefill.registration_number",
        )
    return given or prefilled


def get_session(*, db: Session, now: datetime, session_id: str) -> OnboardingSession:
    """Return a session, first moving it to expired or failed if its time has run out."""
    row = db.get(S, session_id) if len(session_id) <= 36 else None
    if row is None:
        raise NotFound("No onboarding session with this id.")
    return _settle_if_stale(db=db, row=row, now=now)


def launch(
    *,
    db: Session,
    settings: Settings,
    wise: WiseClient,
    cipher: TokenCipher,
    clock: Clock,
    token: str,
) -> Launch:
    """Redeem a launch token once and prepare the redirect to Wise's authorize page."""
    if not settings.wise_configured:
        # Checked before the token is spent, so the link still works once Wise is configured.
        raise ServiceUnavailable("Wise is not configured for this service yet.")
    if not plausible_secret(token):
        raise LaunchLinkUnavailable()
    token_hash = hash_secret(token)
    row = db.exec(select(S).where(col(S.launch_token_hash) == token_hash)).first()
    if row is not None and row.mode == SessionMode.PREFILL:
        return _launch_prefilled(db, settings, wise, cipher, clock, row)
    return _redirect(db, settings, wise, clock.now(), token_hash, claim_code=None)


def _launch_prefilled(
    db: Session,
    settings: Settings,
    wise: WiseClient,
    cipher: TokenCipher,
    clock: Clock,
    row: OnboardingSession,
) -> Launch:
    """Prepare the Wise account under a lease on the session, then redirect.

    The lease (a compare-and-set on ``prepare_lease_until``) lets exactly one request of a link
    talk to Wise at a time: a second one, e.g. a double click, gets a "try again" page at once
    instead of waiting, and never creates a second Wise user. A lease left by a crashed process
    runs out after the time budget plus a margin.
    """
    now = clock.now()
    lease_until = now + timedelta(seconds=settings.prefill.time_budget_seconds + 15)
    leased = _transition(
        db,
        (
            col(S.id) == row.id,
            col(S.status) == SessionStatus.CREATED,
            col(S.expires_at) > now,
            col(S.prepare_lease_until).is_(None) | (col(S.prepare_lease_until) <= now),
        ),
        prepare_lease_until=lease_until,
    )
    db.commit()
    db.refresh(row)
    if not leased:
        if row.status == SessionStatus.CREATED and row.expires_at > now:
            raise LaunchInProgress(headers={"Retry-After": LAUNCH_RETRY_AFTER})
        row = _settle_if_stale(db=db, row=row, now=now)
        raise LaunchLinkUnavailable(
            return_link=_return_link(settings, row, status=SessionStatus.EXPIRED)
        )
    mine = (col(S.id) == row.id, col(S.prepare_lease_until) == lease_until)
    try:
        prepared = prefill.prepare(
            db=db, settings=settings, wise=wise, cipher=cipher, clock=clock, session=row
        )
    except BaseException as exc:
        db.rollback()
        _transition(db, mine, prepare_lease_until=None)
        db.commit()
        if isinstance(exc, WiseError):
            # Not transient (e.g. Wise refuses the client credentials): say so to operators.
            logger.error("prefill launch of session %s failed: %s", row.id, exc)
        if isinstance(exc, BudgetExhausted | WiseError):
            raise WiseUnavailableAtLaunch(headers={"Retry-After": LAUNCH_RETRY_AFTER}) from None
        raise
    return _redirect(
        db,
        settings,
        wise,
        clock.now(),
        row.launch_token_hash,
        claim_code=prepared.claim_code,
        lease=mine,
        # Wise now holds the pre-filled data; the kit's copy is not needed any more.
        prefill_ciphertext=None,
        existing_account=prepared.existing_account,
        prefill_errors=json.dumps(prepared.errors) if prepared.errors else None,
    )


def _redirect(
    db: Session,
    settings: Settings,
    wise: WiseClient,
    now: datetime,
    token_hash: str,
    *,
    claim_code: str | None,
    lease: tuple[Any, ...] = (),
    **values: Any,
) -> Launch:
    """Spend the launch token (created → launched) and build the authorize URL."""
    state, binding = new_secret(), new_secret()
    won = _transition(
        db,
        (
            col(S.launch_token_hash) == token_hash,
            col(S.status) == SessionStatus.CREATED,
            col(S.expires_at) > now,
            *lease,
        ),
        status=SessionStatus.LAUNCHED,
        launched_at=now,
        state_hash=hash_secret(state),
        binding_hash=hash_secret(binding),
        state_expires_at=now + timedelta(seconds=settings.state_ttl_seconds),
        prepare_lease_until=None,
        **values,
    )
    db.commit()
    row = db.exec(
        select(S)
        .where(col(S.launch_token_hash) == token_hash)
        .execution_options(populate_existing=True)
    ).first()
    if not won or row is None:
        link = None
        if row is not None:
            row = _settle_if_stale(db=db, row=row, now=now)
            link = _return_link(settings, row, status=SessionStatus.EXPIRED)
        raise LaunchLinkUnavailable(return_link=link)
    authorize_url = wise.authorize_url(state=state, claim_account_code=claim_code)
    return Launch(session=row, authorize_url=authorize_url, binding=binding)


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
    identity = check_identity(
        profile=profile,
        customer_type=row.customer_type,
        customer_date_of_birth=row.customer_date_of_birth,
        customer_registration_number=row.customer_registration_number,
    )
    if identity.failure is not None:
        # The tokens are dropped here: they belong to someone the partner did not verify.
        return _finish(
            db,
            settings,
            row,
            now,
            SessionStatus.FAILED,
            identity.failure,
            identity_check=identity.check,
        )
    return _link(db, settings, cipher, row, now, profile, tokens, identity.check)


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
            # Nothing was loaded into this request's session before the claim, so this read
            # is fresh; no refresh needed.
            return db.exec(select(S).where(col(S.state_hash) == state_hash)).one()
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
    identity_check: IdentityCheck,
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
            identity_check=identity_check,
        )
        try:
            return _finish(
                db,
                settings,
                row,
                now,
                SessionStatus.LINKED,
                wise_profile_id=profile.id,
                identity_check=identity_check,
            )
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
    identity_check: IdentityCheck | None = None,
) -> Outcome:
    """Move a launched session to a terminal status, erase its personal data, and commit."""
    _transition(
        db,
        (col(S.id) == row.id, col(S.status) == SessionStatus.LAUNCHED),
        status=status,
        failure_reason=reason,
        wise_error=wise_error,
        wise_profile_id=wise_profile_id,
        identity_check=identity_check,
        completed_at=now,
        **ERASED,
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
        prepare_lease_until=None,
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
