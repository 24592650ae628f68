"""A linked profile's verification at Wise: asking for it, and simulating it in the sandbox.

Wise's advice for linked accounts is to ask for the verification status right after linking,
then wait for ``profiles#verification-state-change`` if the profile is not verified yet
(<https://docs.wise.com/guides/product/kyc/partner-accounts/profile-creation>). So a (re)link
makes a check due, and the worker (``check_due``) asks
``POST /v3/profiles/{id}/verification-status/bank-transfer`` at once, with the customer's token
and ``ONBOARDING_VERIFICATION_SOURCE_CURRENCIES``; ``?refresh=verification`` asks on demand.
Each answer is stored: the status, and each currency route with its
``maximum_entitled_amount``. In the sandbox the partner can also make Wise verify the profile
(``simulate_verification``); the status then changes when Wise's webhook arrives.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import col, select

from backend import retries
from backend.context import Context
from backend.errors import (
    NotLinked,
    OnboardingError,
    ReauthorizationRequired,
    SandboxOnly,
    WiseRefused,
    WiseTemporarilyUnavailable,
)
from backend.leases import new_owner
from backend.models import LinkStatus, VerificationStatus, WiseLink
from backend.services import links, tokens
from backend.services.links import VERIFICATION_LEASE
from backend.wise import WiseApiError, WiseProtocolError, WiseUnavailable

logger = logging.getLogger(__name__)

L = WiseLink
T = TypeVar("T")
# A check that keeps failing transiently is retried with backoff this many times, then left to
# Wise's webhook (and to the partner's ?refresh=verification).
CHECK_MAX_ATTEMPTS = 10
CURRENCY_RE = re.compile(r"^[A-Z]{3}\Z")
STATUS_RE = re.compile(r"^[a-z_]{1,32}\Z")


def refresh_verification(
    *,
    ctx: Context,
    customer_external_id: str,
    source_currencies: Sequence[str] | None = None,
) -> WiseLink:
    """Ask Wise for the profile's verification status, store it and return the updated link.

    A 401 from Wise means the access token was revoked or replaced: the token is refreshed once
    (which is how the kit learns that a customer revoked access) and the call is retried.
    """
    currencies = tuple(source_currencies or ctx.settings.verification_source_currencies)
    token = tokens.access_token(ctx=ctx, customer_external_id=customer_external_id)
    link = _link(ctx, customer_external_id)
    assert link.id is not None
    body = _with_user_token(
        ctx,
        customer_external_id,
        token,
        lambda access: _ask(ctx, access, link.profile_id, currencies),
        what="the verification check",
    )
    now = ctx.now()
    status = status_of(body)
    ctx.db.exec(
        update(L)
        .where(col(L.id) == link.id, col(L.profile_id) == link.profile_id)
        .values(verification_routes=json.dumps(routes_of(body)), verification_checked_at=now)
    )
    links.apply_verification(
        ctx=ctx, profile_id=link.profile_id, status=status, as_of=now, asked=True
    )
    ctx.db.commit()
    fresh = links.reread(ctx, link.id)
    assert fresh is not None
    return fresh


def simulate_verification(*, ctx: Context, customer_external_id: str) -> WiseLink:
    """Sandbox only: ask Wise to verify the customer's profile; return the link as it is now.

    Wise answers at once and sends ``profiles#verification-state-change`` afterwards; the link's
    status changes when that webhook arrives. Refused (SandboxOnly) when the kit or its Wise
    environment is production: Wise has no simulation there, and no partner should try.
    """
    settings = ctx.settings
    if settings.is_production or settings.wise_environment == "production":
        raise SandboxOnly()
    token = tokens.access_token(ctx=ctx, customer_external_id=customer_external_id)
    link = _link(ctx, customer_external_id)
    _with_user_token(
        ctx,
        customer_external_id,
        token,
        lambda access: _transient_as_503(
            lambda: ctx.wise.simulate_verification(access_token=access, profile_id=link.profile_id)
        ),
        what="the verification simulation",
    )
    return link


def check_due(*, ctx: Context, keep_going: Callable[[], bool] = lambda: True) -> int:
    """The worker's job: ask Wise for the status of every link that was just (re)linked.

    Each link is checked under a lease, so several workers never ask twice at once. A transient
    failure is retried with backoff (``ONBOARDING_RETRY_*``) up to ``CHECK_MAX_ATTEMPTS`` times;
    a link that needs reauthorization, or that Wise refuses to answer for, is left to the
    webhook. Returns how many links were checked.
    """
    now = ctx.now()
    due = ctx.db.exec(
        select(L.id, L.customer_external_id)
        .where(
            col(L.status) == LinkStatus.LINKED,
            col(L.verification_check_due_at) <= now,
            VERIFICATION_LEASE.free(now),
        )
        .order_by(col(L.verification_check_due_at))
        .limit(50)
    ).all()
    ctx.db.commit()
    checked = 0
    for link_id, customer in due:
        if not keep_going():
            break
        checked += _check_one(ctx, link_id, customer)
    return checked


def _check_one(ctx: Context, link_id: int | None, customer: str) -> int:
    owner, now = new_owner(), ctx.now()
    lease = timedelta(seconds=2 * tokens.lease_length(ctx).total_seconds())
    where = (col(L.id) == link_id, col(L.verification_check_due_at) <= now)
    if not VERIFICATION_LEASE.take(ctx.db, *where, owner=owner, until=now + lease, now=now):
        return 0  # another worker has it
    done: dict[str, Any] = {
        "verification_check_due_at": None,
        "verification_check_attempts": 0,
        "verification_check_last_error": None,
    }
    try:
        refresh_verification(ctx=ctx, customer_external_id=customer)
    except (NotLinked, ReauthorizationRequired):
        pass  # nothing to ask with any more; the next link makes a new check due
    except WiseTemporarilyUnavailable as exc:
        link = links.reread(ctx, link_id) if link_id is not None else None
        ctx.db.commit()
        attempts = (link.verification_check_attempts if link else 0) + 1
        last = attempts >= CHECK_MAX_ATTEMPTS
        done = {
            "verification_check_due_at": (
                None if last else retries.next_attempt_at(ctx.settings, ctx.now(), attempts)
            ),
            "verification_check_attempts": attempts,
            "verification_check_last_error": f"attempt {attempts}: {exc.error}"[:200],
        }
        (logger.error if last else logger.warning)(
            "verification check of a link failed (attempt %d)%s",
            attempts,
            "; left to Wise's webhook" if last else "; retried with backoff",
        )
    except OnboardingError as exc:
        # Wise refused to answer (not transient): the webhook will say when it changes.
        ctx.db.rollback()
        done["verification_check_last_error"] = exc.error[:200]
        logger.warning("verification check of a link refused (%s)", exc.error)
    VERIFICATION_LEASE.release(ctx.db, col(L.id) == link_id, owner=owner, **done)
    return 1


def routes_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Wise's routes as stored: only well-formed currencies, statuses and amounts."""
    routes = []
    for route in body.get("routes") or []:
        if not isinstance(route, dict):
            continue
        currency, status = route.get("source_currency"), route.get("current_status")
        amount = route.get("maximum_entitled_amount")
        if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
            continue
        number = isinstance(amount, int | float) and not isinstance(amount, bool)
        known = isinstance(status, str) and STATUS_RE.match(status)
        routes.append(
            {
                "source_currency": currency,
                "current_status": status if known else "unknown",
                "maximum_entitled_amount": amount if number else None,
            }
        )
    return routes[:20]


def status_of(body: dict[str, Any]) -> str:
    """``verified`` when every requested currency route is verified, else ``not_verified``."""
    routes = body.get("routes")
    if not isinstance(routes, list) or not routes:
        raise WiseTemporarilyUnavailable("Wise answered the verification check without routes.")
    verified = all(
        isinstance(r, dict) and r.get("current_status") == VerificationStatus.VERIFIED
        for r in routes
    )
    return VerificationStatus.VERIFIED if verified else VerificationStatus.NOT_VERIFIED


def _link(ctx: Context, customer_external_id: str) -> WiseLink:
    """The customer's link (it just gave a token), read with no transaction left open."""
    link = links.find_link(ctx=ctx, customer_external_id=customer_external_id)
    assert link is not None
    ctx.db.commit()  # no transaction stays open while Wise answers
    return link


def _with_user_token(
    ctx: Context,
    customer_external_id: str,
    token: tokens.BrokeredToken,
    call: Callable[[str], T],
    *,
    what: str,
) -> T:
    """Call Wise with the customer's ``token``; after a 401, once more with a refreshed token.

    A 401 means the token was revoked or replaced: refreshing it is how the kit learns that a
    customer revoked access (the refresh then raises ReauthorizationRequired).
    """
    try:
        return call(token.access_token)
    except WiseApiError as exc:
        if exc.status != 401:
            raise WiseRefused(f"Wise answered {exc.status} to {what}.") from None
    token = tokens.access_token(
        ctx=ctx,
        customer_external_id=customer_external_id,
        rejected_token=token.access_token,
    )
    try:
        return call(token.access_token)
    except WiseApiError as again:
        raise WiseRefused(f"Wise answered {again.status} to {what}.") from None


def _ask(
    ctx: Context, access_token: str, profile_id: int, currencies: Sequence[str]
) -> dict[str, Any]:
    return _transient_as_503(
        lambda: ctx.wise.verification_status(
            access_token=access_token, profile_id=profile_id, source_currencies=currencies
        )
    )


def _transient_as_503(call: Callable[[], T]) -> T:
    try:
        return call()
    except (WiseUnavailable, WiseProtocolError) as exc:
        retry_after = getattr(exc, "retry_after", None) or tokens.DEFAULT_RETRY_AFTER
        raise WiseTemporarilyUnavailable(retry_after=retry_after) from None
