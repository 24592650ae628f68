"""A linked profile's verification at Wise: asking for it, and simulating it in the sandbox.

``?refresh=verification`` asks Wise and stores the answer. In the sandbox the partner can also
make Wise verify the profile (``simulate_verification``); the status then changes when Wise's
``profiles#verification-state-change`` webhook arrives, as it would after real checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from backend.context import Context
from backend.errors import SandboxOnly, WiseRefused, WiseTemporarilyUnavailable
from backend.models import VerificationStatus, WiseLink
from backend.services import links, tokens
from backend.wise import WiseApiError, WiseProtocolError, WiseUnavailable

DEFAULT_CURRENCIES = ("GBP", "EUR", "USD")
T = TypeVar("T")


def refresh_verification(
    *,
    ctx: Context,
    customer_external_id: str,
    source_currencies: Sequence[str] = DEFAULT_CURRENCIES,
) -> WiseLink:
    """Ask Wise for the profile's verification status, store it and return the updated link.

    A 401 from Wise means the access token was revoked or replaced: the token is refreshed once
    (which is how the kit learns that a customer revoked access) and the call is retried.
    """
    token = tokens.access_token(ctx=ctx, customer_external_id=customer_external_id)
    link = _link(ctx, customer_external_id)
    assert link.id is not None
    body = _with_user_token(
        ctx,
        customer_external_id,
        token,
        lambda access: _ask(ctx, access, link.profile_id, source_currencies),
        what="the verification check",
    )
    now = ctx.now()
    links.apply_verification(
        ctx=ctx,
        profile_id=link.profile_id,
        status=status_of(body),
        as_of=now,
        asked=True,
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
