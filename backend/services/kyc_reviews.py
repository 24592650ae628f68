"""Hosted KYC, the review side: Wise's KYC reviews as the kit knows them, and new launch links.

Wise tells the kit about reviews through ``kyc-reviews#state-change`` (application
subscriptions; Hosted KYC needs it) and answers them through its API. Either way a review is
stored by its id and the newest ``updatedAt`` wins, since Wise does not promise the order of
events. A changed status is recorded on the links to the review's profile and notified to the
partner as ``kyc_review.updated``.

``create_launch`` makes the single-use launch link a partner hands to the customer; redeeming it
(and the customer's return) is ``backend.services.kyc_launch``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.context import Context
from backend.errors import (
    InvalidRequest,
    InvalidReturnUrl,
    KycReviewNotWaiting,
    NotFound,
    NotLinked,
    ReauthorizationRequired,
    WiseRefused,
    WiseTemporarilyUnavailable,
)
from backend.models import (
    KycLaunch,
    KycLaunchCreate,
    KycLaunchCreated,
    KycReview,
    KycReviewPublic,
    KycReviewStatus,
    LinkStatus,
    WiseLink,
    WiseLinkPublic,
)
from backend.security import hash_secret, is_allowed_return_url, new_secret
from backend.services import links, notifications, tokens
from backend.wise import WiseApiError, WiseProtocolError, WiseUnavailable

R = KycReview
REVIEW_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,64}\Z", re.ASCII)
CODE_RE = re.compile(r"^[A-Za-z0-9_]{1,32}\Z", re.ASCII)
TRIGGER_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z", re.ASCII)
UPDATED = "kyc_review.updated"
RETURNED = "kyc_review.returned"


@dataclass(frozen=True)
class ReviewUpdate:
    """A review's state as one webhook or API answer reports it."""

    review_id: str
    profile_id: int
    status: str
    required_by: datetime | None
    created_at: datetime | None
    updated_at: datetime
    trigger_references: list[dict[str, Any]]


def parse(resource: object, *, status_key: str, profile_id: int | None = None) -> ReviewUpdate:
    """Read a review from a webhook's ``data.resource`` (``state``, ``profileId``) or from the
    API (``status``, the profile known). Raises ValueError naming the unusable field."""
    if not isinstance(resource, dict):
        raise ValueError("the review must be a JSON object")
    review_id = resource.get("id")
    if not isinstance(review_id, str) or not REVIEW_ID_RE.match(review_id):
        raise ValueError("id must be a KYC review id")
    status = resource.get(status_key)
    if not isinstance(status, str) or not CODE_RE.match(status):
        raise ValueError(f"{status_key} must be a KYC review status")
    if profile_id is None:
        profile_id = resource.get("profileId")
        if isinstance(profile_id, bool) or not isinstance(profile_id, int):
            raise ValueError("profileId must be a positive integer")
    if not 0 < profile_id < 2**63:
        raise ValueError("profileId must be a positive integer")
    updated = _time(resource.get("updatedAt"), "updatedAt")
    if updated is None:
        raise ValueError("updatedAt is missing")
    # Renamed from triggerReference (one) to triggerReferences (a list) in March 2025.
    triggers = resource.get("triggerReferences", resource.get("triggerReference"))
    return ReviewUpdate(
        review_id=review_id,
        profile_id=profile_id,
        status=status,
        required_by=_time(resource.get("requiredBy"), "requiredBy"),
        created_at=_time(resource.get("createdAt"), "createdAt"),
        updated_at=updated,
        trigger_references=_triggers(triggers),
    )


def apply(*, ctx: Context, change: ReviewUpdate) -> bool:
    """Record ``change`` unless a newer state is recorded; the caller commits.

    A status change (or a review seen for the first time) is noted on the links to its profile
    and notified as ``kyc_review.updated``. A concurrent first insert raises ``IntegrityError``;
    the caller rolls back and applies again. Returns whether the review changed.
    """
    db, now = ctx.db, ctx.now()
    known = db.exec(
        select(R).where(col(R.id) == change.review_id).execution_options(populate_existing=True)
    ).first()
    previous = known.status if known is not None else None
    values: dict[str, Any] = {
        "profile_id": change.profile_id,
        "status": change.status,
        "required_by": change.required_by,
        "trigger_references": json.dumps(change.trigger_references, separators=(",", ":")),
        "wise_created_at": change.created_at,
        "wise_updated_at": change.updated_at,
    }
    if known is None:
        db.add(R(id=change.review_id, received_at=now, **values))
        db.flush()
    else:
        newer = db.exec(
            update(R)
            .where(col(R.id) == change.review_id, col(R.wise_updated_at) < change.updated_at)
            .values(values)
        )
        if newer.rowcount != 1:
            return False
    if previous != change.status:
        _tell_links(ctx, change, previous)
    return True


def reviews(*, ctx: Context, customer_external_id: str, refresh: bool = False) -> list[KycReview]:
    """The KYC reviews of the customer's linked profile, newest first.

    With ``refresh`` the kit first asks Wise (``GET /v1/profiles/{id}/kyc-reviews``) with the
    customer's token, in case a webhook was missed.
    """
    link = _linked(ctx, customer_external_id, allow_reauthorization=not refresh)
    if refresh:
        answer = call_wise(
            ctx,
            customer_external_id,
            lambda access: ctx.wise.list_kyc_reviews(
                access_token=access, profile_id=link.profile_id
            ),
        )
        for item in answer:
            try:
                change = parse(item, status_key="status", profile_id=link.profile_id)
            except ValueError:
                continue
            _apply_committed(ctx, change)
    rows = ctx.db.exec(
        select(R)
        .where(col(R.profile_id) == link.profile_id)
        .order_by(col(R.wise_updated_at).desc())
    ).all()
    ctx.db.commit()
    return list(rows)


def create_launch(
    *, ctx: Context, customer_external_id: str, kyc_review_id: str, data: KycLaunchCreate
) -> KycLaunchCreated:
    """A single-use launch link that takes the customer to Wise's page for this review.

    The review must wait for the customer. One the kit has not heard of is read from Wise first
    (a webhook may be late). Wise's own link is minted only when the customer opens ours: it
    lives 5 minutes.
    """
    settings, now = ctx.settings, ctx.now()
    if not REVIEW_ID_RE.match(kyc_review_id):
        raise InvalidRequest("the KYC review id is malformed", field="kyc_review_id")
    if not is_allowed_return_url(data.return_url, settings.return_urls):
        raise InvalidReturnUrl(field="return_url")
    ttl = data.ttl_seconds or settings.session_ttl_seconds
    if ttl > settings.session_max_ttl_seconds:
        raise InvalidRequest(
            f"ttl_seconds must be at most {settings.session_max_ttl_seconds}", field="ttl_seconds"
        )
    link = _linked(ctx, customer_external_id, allow_reauthorization=False)
    review = ctx.db.get(R, kyc_review_id)
    if review is None or review.profile_id != link.profile_id:
        review = _fetch(ctx, customer_external_id, link, kyc_review_id)
    if review.status != KycReviewStatus.WAITING_CUSTOMER_INPUT:
        raise KycReviewNotWaiting(
            f"This KYC review is {review.status}; Wise offers its page only while it waits for "
            "the customer (WAITING_CUSTOMER_INPUT)."
        )
    token = new_secret()
    row = KycLaunch(
        id=str(uuid.uuid4()),
        customer_external_id=customer_external_id,
        kyc_review_id=review.id,
        profile_id=link.profile_id,
        return_url=data.return_url,
        launch_token_hash=hash_secret(token),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    ctx.db.add(row)
    ctx.db.commit()
    return KycLaunchCreated(
        id=row.id,
        kyc_review_id=review.id,
        launch_url=f"{settings.public_base_url}/kyc/launch/{token}",
        expires_at=row.expires_at,
    )


def record_return(*, ctx: Context, kyc_review_id: str, status: str, customer: str) -> None:
    """The customer came back from Wise's page: note it on the review and tell the partner.

    The caller commits (with the launch's own change).
    """
    now = ctx.now()
    ctx.db.exec(
        update(R)
        .where(col(R.id) == kyc_review_id)
        .values(last_return_status=status, last_returned_at=now)
    )
    review = ctx.db.exec(
        select(R).where(col(R.id) == kyc_review_id).execution_options(populate_existing=True)
    ).first()
    if review is None:
        return
    notifications.queue(
        ctx=ctx,
        now=now,
        event_type=RETURNED,
        customer_external_id=customer,
        body={
            "kyc_review": KycReviewPublic.of(review).model_dump(mode="json"),
            "return_status": status,
        },
    )


# -- internals --------------------------------------------------------------------------------


def _tell_links(ctx: Context, change: ReviewUpdate, previous: str | None) -> None:
    """Audit and notify a status change on every live link to the review's profile."""
    now = ctx.now()
    review = ctx.db.get(R, change.review_id, populate_existing=True)
    assert review is not None
    linked = ctx.db.exec(
        select(WiseLink).where(
            col(WiseLink.profile_id) == change.profile_id,
            or_(
                col(WiseLink.status) == LinkStatus.LINKED,
                col(WiseLink.status) == LinkStatus.REAUTHORIZATION_REQUIRED,
            ),
        )
    ).all()
    for link in linked:
        links.record_event(
            ctx=ctx,
            link=link,
            event="kyc_review",
            detail=f"{change.review_id}: {previous or 'new'} -> {change.status}",
        )
        notifications.queue(
            ctx=ctx,
            now=now,
            event_type=UPDATED,
            customer_external_id=link.customer_external_id,
            body={
                "kyc_review": KycReviewPublic.of(review).model_dump(mode="json"),
                "link": WiseLinkPublic.of(link).model_dump(mode="json"),
            },
        )


def _apply_committed(ctx: Context, change: ReviewUpdate) -> None:
    """``apply`` and commit, once more when a concurrent first insert got there first."""
    for attempt in range(2):
        try:
            apply(ctx=ctx, change=change)
            ctx.db.commit()
            return
        except IntegrityError:
            ctx.db.rollback()
            if attempt:
                raise


def _linked(ctx: Context, customer: str, *, allow_reauthorization: bool) -> WiseLink:
    link = links.find_link(ctx=ctx, customer_external_id=customer)
    if link is None or link.status == LinkStatus.UNLINKED:
        raise NotLinked()
    if link.status == LinkStatus.REAUTHORIZATION_REQUIRED and not allow_reauthorization:
        raise ReauthorizationRequired()
    ctx.db.commit()  # no transaction stays open while Wise answers
    return link


def _fetch(ctx: Context, customer: str, link: WiseLink, kyc_review_id: str) -> KycReview:
    """Read one review from Wise and store it; NotFound when Wise does not know it."""
    try:
        body = call_wise(
            ctx,
            customer,
            lambda access: ctx.wise.get_kyc_review(
                access_token=access, profile_id=link.profile_id, kyc_review_id=kyc_review_id
            ),
            not_found_is_missing=True,
        )
        change = parse(body, status_key="status", profile_id=link.profile_id)
    except (LookupError, ValueError):
        raise NotFound("This customer's Wise profile has no KYC review with this id.") from None
    _apply_committed(ctx, change)
    review = ctx.db.get(R, change.review_id, populate_existing=True)
    assert review is not None
    return review


def call_wise(ctx: Context, customer: str, call: Any, *, not_found_is_missing: bool = False) -> Any:
    """Call Wise with the customer's token; after a 401 once more with a refreshed token."""
    token = tokens.access_token(ctx=ctx, customer_external_id=customer)
    for attempt in range(2):
        try:
            return call(token.access_token)
        except (WiseUnavailable, WiseProtocolError) as exc:
            retry_after = getattr(exc, "retry_after", None) or tokens.DEFAULT_RETRY_AFTER
            raise WiseTemporarilyUnavailable(retry_after=retry_after) from None
        except WiseApiError as exc:
            if exc.status == 404 and not_found_is_missing:
                raise LookupError from None
            if exc.status != 401 or attempt:
                raise WiseRefused(f"Wise answered {exc.status} about the KYC review.") from None
            token = tokens.access_token(
                ctx=ctx, customer_external_id=customer, rejected_token=token.access_token
            )
    raise AssertionError("unreachable")


def _time(value: object, name: str) -> datetime | None:
    """Wise's review timestamps: ISO 8601, UTC when no zone is given."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"{name} must be an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if not datetime(2000, 1, 1, tzinfo=UTC) <= moment < datetime(2100, 1, 1, tzinfo=UTC):
        raise ValueError(f"{name} is outside 2000-2099")
    return moment


def _triggers(value: object) -> list[dict[str, Any]]:
    """Trigger references as stored: type and the documented triggerData keys only."""
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    kept: list[dict[str, Any]] = []
    for item in items[:10]:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            continue
        if not CODE_RE.match(item["type"]):
            continue
        data = item.get("triggerData") if isinstance(item.get("triggerData"), dict) else {}
        trigger: dict[str, Any] = {}
        ident = (data or {}).get("id")
        number = isinstance(ident, int) and not isinstance(ident, bool)
        if number or (isinstance(ident, str) and TRIGGER_ID_RE.match(ident)):
            trigger["id"] = ident
        currencies = (data or {}).get("currencies")
        if isinstance(currencies, list):
            trigger["currencies"] = [
                c for c in currencies if isinstance(c, str) and re.match(r"^[A-Z]{3}\Z", c)
            ][:20]
        kept.append({"type": item["type"], "triggerData": trigger})
    return kept
