"""Asking Wise whether a linked profile is verified (``?refresh=verification``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.errors import WiseRefused, WiseTemporarilyUnavailable
from backend.models import VerificationStatus, WiseLink
from backend.services import links, tokens
from backend.wise import WiseApiError, WiseProtocolError, WiseUnavailable

DEFAULT_CURRENCIES = ("GBP", "EUR", "USD")


def refresh_verification(
    *,
    broker: tokens.Broker,
    customer_external_id: str,
    source_currencies: Sequence[str] = DEFAULT_CURRENCIES,
) -> WiseLink:
    """Ask Wise for the profile's verification status, store it and return the updated link.

    A 401 from Wise means the access token was revoked or replaced: the token is refreshed once
    (which is how the kit learns that a customer revoked access) and the call is retried.
    """
    token = tokens.access_token(broker=broker, customer_external_id=customer_external_id)
    link = links.find_link(db=broker.db, customer_external_id=customer_external_id)
    assert link is not None
    assert link.id is not None
    broker.db.commit()  # no transaction stays open while Wise answers
    try:
        body = _ask(broker, token.access_token, link.profile_id, source_currencies)
    except WiseApiError as exc:
        if exc.status != 401:
            raise WiseRefused(f"Wise answered {exc.status} to the verification check.") from None
        token = tokens.access_token(
            broker=broker,
            customer_external_id=customer_external_id,
            rejected_token=token.access_token,
        )
        try:
            body = _ask(broker, token.access_token, link.profile_id, source_currencies)
        except WiseApiError as again:
            raise WiseRefused(f"Wise answered {again.status} to the verification check.") from None
    now = broker.clock.now()
    links.apply_verification(
        db=broker.db,
        settings=broker.settings,
        now=now,
        profile_id=link.profile_id,
        status=status_of(body),
        as_of=now,
        asked=True,
    )
    broker.db.commit()
    fresh = links.reread(broker.db, link.id)
    assert fresh is not None
    return fresh


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


def _ask(
    broker: tokens.Broker, access_token: str, profile_id: int, currencies: Sequence[str]
) -> dict[str, Any]:
    try:
        return broker.wise.verification_status(
            access_token=access_token, profile_id=profile_id, source_currencies=currencies
        )
    except (WiseUnavailable, WiseProtocolError) as exc:
        retry_after = getattr(exc, "retry_after", None) or tokens.DEFAULT_RETRY_AFTER
        raise WiseTemporarilyUnavailable(retry_after=retry_after) from None
