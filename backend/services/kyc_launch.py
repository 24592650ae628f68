"""Hosted KYC, the browser side: redeem a launch link into Wise's page, and the way back.

created → launched → returned, or expired (or failed when Wise refuses). Every step is a
compare-and-set. Redeeming takes a short lease on the launch (``backend.leases``), asks Wise for
the review's hosted-page link with ``PATCH /v1/profiles/{id}/kyc-reviews/{reviewId}`` (the link
lives 5 minutes, so it is minted now, never earlier) with the kit's own return endpoint as
``redirectUrl``, and only then spends the token, in the statement that releases the lease. When
Wise does not answer, the customer sees "try again" and the link keeps working.

Wise sends the browser back with ``status=success``, ``error``, ``failed`` or ``closed`` (its two
pages disagree on the values, so all four are accepted). The kit records it once, notifies the
partner and sends the customer to the partner's return URL with ``kyc_review_id`` and ``status``.
What the browser brings back is a hint: the review's state comes from Wise's webhook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import update
from sqlmodel import col, select

from backend.context import Context
from backend.errors import (
    CallbackRejected,
    KycWiseUnavailable,
    LaunchInProgress,
    LaunchLinkUnavailable,
    NotLinked,
    ReauthorizationRequired,
    WiseRefused,
    WiseTemporarilyUnavailable,
)
from backend.leases import Leasable, new_owner
from backend.models import KycLaunch, KycLaunchStatus, KycReturnStatus
from backend.security import (
    hash_secret,
    is_allowed_return_url,
    new_secret,
    plausible_secret,
    with_query,
)
from backend.services import kyc_reviews, tokens

logger = logging.getLogger(__name__)

K = KycLaunch
LEASE = Leasable(KycLaunch)
RETRY_AFTER = "5"
WISE_STATUSES = frozenset({"success", "error", "failed", "closed"})


@dataclass(frozen=True)
class Redirect:
    """Where to send the browser next."""

    url: str


def launch(*, ctx: Context, token: str) -> Redirect:
    """Redeem a KYC launch link once: mint Wise's page link now, and send the browser there."""
    if not plausible_secret(token):
        raise LaunchLinkUnavailable()
    db, now = ctx.db, ctx.now()
    row = db.exec(select(K).where(col(K.launch_token_hash) == hash_secret(token))).first()
    if row is None:
        raise LaunchLinkUnavailable()
    owner = new_owner()
    lease = timedelta(seconds=2 * tokens.lease_length(ctx).total_seconds())
    taken = LEASE.take(
        db,
        col(K.id) == row.id,
        col(K.status) == KycLaunchStatus.CREATED,
        col(K.expires_at) > now,
        owner=owner,
        until=now + lease,
        now=now,
    )
    db.refresh(row)
    db.commit()
    if not taken:
        if row.status == KycLaunchStatus.CREATED and row.expires_at > now:
            raise LaunchInProgress(headers={"Retry-After": RETRY_AFTER})
        row = _settle(ctx, row)
        raise LaunchLinkUnavailable(return_link=_back(ctx, row, _final_status(row)))
    ref = new_secret()
    redirect_url = f"{ctx.settings.public_base_url}/kyc/wise/return?{urlencode({'ref': ref})}"
    try:
        answer = kyc_reviews.call_wise(
            ctx,
            row.customer_external_id,
            lambda access: ctx.wise.kyc_review_link(
                access_token=access,
                profile_id=row.profile_id,
                kyc_review_id=row.kyc_review_id,
                redirect_url=redirect_url,
            ),
        )
    except WiseTemporarilyUnavailable:
        LEASE.release(db, col(K.id) == row.id, owner=owner)
        raise KycWiseUnavailable(headers={"Retry-After": RETRY_AFTER}) from None
    except (NotLinked, ReauthorizationRequired) as exc:
        return _fail(ctx, row, owner, exc.error)
    except WiseRefused:
        return _fail(ctx, row, owner, "wise_refused")
    link = _link_of(answer)
    if link is None:
        # Wise gives a link only while the review waits for the customer: nothing to do now.
        return _fail(ctx, row, owner, "not_waiting")
    if not _on_wise(ctx, link):
        logger.error("Wise's KYC link is not on the host of ONBOARDING_WISE_AUTHORIZE_URL")
        return _fail(ctx, row, owner, "unexpected_link")
    launched = LEASE.release(
        db,
        col(K.id) == row.id,
        col(K.status) == KycLaunchStatus.CREATED,
        owner=owner,
        status=KycLaunchStatus.LAUNCHED,
        launched_at=now,
        return_ref_hash=hash_secret(ref),
        return_expires_at=now + timedelta(seconds=ctx.settings.state_ttl_seconds),
    )
    if not launched:
        raise LaunchLinkUnavailable()
    return Redirect(link)


def complete(*, ctx: Context, ref: str | None, status: str | None) -> Redirect:
    """The browser is back from Wise's page: record the outcome once, go to the partner."""
    if not plausible_secret(ref):
        raise CallbackRejected("This page was opened without a valid reference.")
    assert ref is not None
    db, now = ctx.db, ctx.now()
    outcome = status if status in WISE_STATUSES else KycReturnStatus.UNKNOWN
    ref_hash = hash_secret(ref)
    claimed = (
        db.exec(
            update(K)
            .where(
                col(K.return_ref_hash) == ref_hash,
                col(K.status) == KycLaunchStatus.LAUNCHED,
                col(K.return_expires_at) > now,
            )
            .values(status=KycLaunchStatus.RETURNED, return_status=outcome, completed_at=now)
            .returning(K)
        )
        .scalars()
        .first()
    )
    if claimed is not None:
        kyc_reviews.record_return(
            ctx=ctx,
            kyc_review_id=claimed.kyc_review_id,
            status=str(outcome),
            customer=claimed.customer_external_id,
        )
        db.commit()
        return _to_app(_back(ctx, claimed, str(outcome)))
    db.commit()
    row = db.exec(select(K).where(col(K.return_ref_hash) == ref_hash)).first()
    if row is None:
        raise CallbackRejected("This reference is not known. Please start again from the app.")
    # Already recorded (a reload), or too late: the partner's page says what is known.
    row = _settle(ctx, row)
    return _to_app(_back(ctx, row, _final_status(row)))


def sweep(*, ctx: Context) -> int:
    """Expire launch links never used, and launches whose customer never came back."""
    now = ctx.now()
    never_used = (col(K.status) == KycLaunchStatus.CREATED) & (col(K.expires_at) <= now)
    gone = (col(K.status) == KycLaunchStatus.LAUNCHED) & (col(K.return_expires_at) <= now)
    result = ctx.db.exec(
        update(K)
        .where(never_used | gone)
        .values(status=KycLaunchStatus.EXPIRED, completed_at=now, **LEASE.cleared())
    )
    ctx.db.commit()
    return int(result.rowcount or 0)


# -- internals --------------------------------------------------------------------------------


def _link_of(answer: dict[str, Any]) -> str | None:
    """Wise's page link from the PATCH answer (``link.value``), if it has one."""
    link = answer.get("link")
    value = link.get("value") if isinstance(link, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 2048 else None


def _on_wise(ctx: Context, url: str) -> bool:
    """The kit redirects only to allowlisted return URLs and to Wise's own site: the link must be
    on the host of the configured authorize page (wise.com, wise-sandbox.com, the emulator)."""
    wise, parts = urlsplit(ctx.settings.wise_authorize_url), urlsplit(url)
    return (parts.scheme, parts.netloc) == (wise.scheme, wise.netloc)


def _fail(ctx: Context, row: KycLaunch, owner: str, reason: str) -> Redirect:
    """Wise cannot show its page for this launch: end it and tell the partner's page why."""
    LEASE.release(
        ctx.db,
        col(K.id) == row.id,
        owner=owner,
        status=KycLaunchStatus.FAILED,
        failure_reason=reason[:32],
        completed_at=ctx.now(),
    )
    logger.info("KYC launch %s did not reach Wise's page: %s", row.id, reason)
    return _to_app(_back(ctx, row, "error", reason=reason))


def _settle(ctx: Context, row: KycLaunch) -> KycLaunch:
    sweep(ctx=ctx)
    ctx.db.refresh(row)
    ctx.db.commit()
    return row


def _final_status(row: KycLaunch) -> str:
    if row.status == KycLaunchStatus.RETURNED and row.return_status:
        return row.return_status
    if row.status == KycLaunchStatus.FAILED:
        return "error"
    return "expired" if row.status == KycLaunchStatus.EXPIRED else "used"


def _back(ctx: Context, row: KycLaunch, status: str, *, reason: str | None = None) -> str | None:
    """The partner's return URL with the outcome, or None if it left the allowlist."""
    if not is_allowed_return_url(row.return_url, ctx.settings.return_urls):
        return None
    params = {"kyc_review_id": row.kyc_review_id, "status": status}
    if reason:
        params["reason"] = reason
    return with_query(row.return_url, params)


def _to_app(url: str | None) -> Redirect:
    if url is None:
        raise CallbackRejected(
            "The app you came from no longer accepts this return. Please go back to it."
        )
    return Redirect(url)
