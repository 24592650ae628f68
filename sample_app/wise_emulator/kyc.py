"""KYC reviews (Hosted KYC): what Wise needs from a customer, and its state-change webhook.

A review is created when an action needs more from the customer (Wise's own transfer flow, a
partner's proactive request, or the control API). Its requirements are worked out at once: the
review goes from NEW to WAITING_CUSTOMER_INPUT. A link to the hosted page (5 minutes, one use)
lets the customer provide the information; the review then moves to PROCESSING, and the sandbox
simulation approves (PASSED) or rejects it. Each state change is sent as
``kyc-reviews#state-change`` (application subscriptions), camelCase inside ``data.resource`` and
without ``occurred_at``, as Wise documents
(<https://docs.wise.com/guides/developer/webhooks/event-types>).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from .models import KycReview
from .state import Emulator
from .webhooks import KYC_REVIEW_EVENT

# The requirement a review asks for unless told otherwise (Wise's simulation uses it too).
DEFAULT_REQUIREMENT = "ID_DOCUMENT_WITH_LIVENESS"
STATUSES = ("NEW", "PASSED", "PASSED_WITH_REQUIREMENTS", "WAITING_CUSTOMER_INPUT", "PROCESSING")


def local_micro(moment: datetime | None) -> str | None:
    """Wise's KYC review timestamps: ``2024-09-03T16:22:02.257725`` (UTC, no zone)."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def review_json(review: KycReview, *, with_requirements: bool) -> dict[str, Any]:
    """A review as ``GET /v2/profiles/{id}/kyc-reviews/{id}`` (v1 without requirements)."""
    link = None
    if review.link_url is not None and review.link_expires_at is not None:
        link = {"value": review.link_url, "expiresAt": local_micro(review.link_expires_at)}
    body: dict[str, Any] = {
        "id": review.id,
        "status": review.status,
        "link": link,
        "createdAt": local_micro(review.created_at),
        "updatedAt": local_micro(review.updated_at),
        "requiredBy": local_micro(review.required_by),
        "triggerReferences": review.trigger_references,
        "redirectUrl": review.redirect_url,
    }
    if with_requirements:
        body["requirements"] = [
            [
                {
                    "key": r["key"],
                    "state": r["state"],
                    "apiCollectionSupported": r["apiCollectionSupported"],
                }
                for r in review.requirements
            ]
        ]
    return body


def create_review(
    state: Emulator,
    profile_id: int,
    trigger_references: list[dict[str, Any]],
    *,
    requirement: str = DEFAULT_REQUIREMENT,
    required_by: datetime | None = None,
) -> KycReview:
    """Create a review (NEW), then work out its requirements (WAITING_CUSTOMER_INPUT).

    Both states are sent as webhooks; the review as first created is returned (Wise's 202).
    """
    store = state.store
    with store.lock:
        now = store.now()
        review = KycReview(
            id=str(uuid.uuid4()),
            profile_id=profile_id,
            status="NEW",
            created_at=now,
            updated_at=now,
            trigger_references=trigger_references,
            required_by=required_by,
            check_id=store.small_id() + 3_120_000,
        )
        store.kyc_reviews[review.id] = review
        created = replace(review, requirements=[], trigger_references=list(trigger_references))
    emit(state, review)
    with store.lock:
        review.requirements = [
            {"key": requirement, "state": "NOT_PROVIDED", "apiCollectionSupported": False}
        ]
    move(state, review, "WAITING_CUSTOMER_INPUT")
    return created


def move(state: Emulator, review: KycReview, status: str) -> None:
    """Change a review's status and send the webhook; ``updatedAt`` always moves forward."""
    store = state.store
    with store.lock:
        now = store.now()
        # Wise's events carry microseconds; two changes inside one never share a timestamp.
        review.updated_at = max(now, review.updated_at + timedelta(microseconds=1))
        review.status = status
        if status != "WAITING_CUSTOMER_INPUT":
            end_link(review)
    emit(state, review)


def end_link(review: KycReview) -> None:
    """The hosted page's token is used up (or the review no longer waits): no live link."""
    review.link_url = review.link_token = None
    review.link_expires_at = None


def emit(state: Emulator, review: KycReview) -> None:
    """Send ``kyc-reviews#state-change`` to the applications that know the profile."""
    store = state.store
    with store.lock:
        profile = store.profiles.get(review.profile_id)
        clients = set(profile.linked_client_ids) if profile else set()
        data = {
            "resource": {
                "id": review.id,
                "state": review.status,
                "profileId": review.profile_id,
                "requiredBy": local_micro(review.required_by),
                "createdAt": local_micro(review.created_at),
                "updatedAt": local_micro(review.updated_at),
                "triggerReferences": review.trigger_references,
            }
        }
    state.webhooks.emit(KYC_REVIEW_EVENT, data, client_ids=clients)


def issue_link(state: Emulator, review: KycReview, redirect_url: str, base_url: str) -> None:
    """PATCH's effect: remember the redirect URL; a waiting review gets a fresh 5-minute link."""
    store = state.store
    with store.lock:
        review.redirect_url = redirect_url
        if review.status != "WAITING_CUSTOMER_INPUT":
            end_link(review)
            return
        review.link_token = secrets.token_urlsafe(24)
        review.link_expires_at = store.now() + timedelta(
            seconds=store.switches.kyc_link_lifetime_seconds
        )
        query = urlencode({"token": review.link_token, "checkId": review.check_id})
        review.link_url = f"{base_url.rstrip('/')}/embedded-flows/verification?{query}"


def find_by_token(state: Emulator, token: str) -> KycReview | None:
    """The review whose hosted-page token this is (the caller checks that it is still live)."""
    store = state.store
    with store.lock:
        for review in store.kyc_reviews.values():
            if review.link_token and secrets.compare_digest(review.link_token, token):
                return review
    return None


def link_live(state: Emulator, review: KycReview) -> bool:
    """The hosted-page link works until it expires or is used."""
    with state.store.lock:
        expires = review.link_expires_at
        return expires is not None and expires > state.store.now()
