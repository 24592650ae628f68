"""KYC reviews over the API, and Wise's sandbox simulation for them.

Every route needs a user token covering the profile ("UserToken"), as Wise documents
(<https://docs.wise.com/api-reference/kyc-review>, <https://docs.wise.com/api-reference/simulation>).
Whether Wise offers Hosted KYC to users who linked an existing account (an authorization-code
token) rather than users a partner created is not documented; the emulator allows both.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request

from . import kyc
from .auth import granted_profile, user_token
from .errors import ApiError, validation_error
from .models import KycReview
from .payload import json_object
from .state import emulator

bp = Blueprint("wise_kyc", __name__)

REVIEW_TYPES = ("QUOTE", "PROACTIVE_SEND_MONEY", "CARD")
MAX_PAGE_SIZE = 100
# "only works for ... TRANSFER_PURPOSE, ID_DOCUMENT_WITH_LIVENESS, SOURCE_OF_FUNDS, and any other
# that has the ___ delimiter".
SUBMITTABLE = ("TRANSFER_PURPOSE", "ID_DOCUMENT_WITH_LIVENESS", "SOURCE_OF_FUNDS")


def client_error(status: int, code: str, description: str) -> ApiError:
    """The simulation endpoints' error shape."""
    return ApiError(
        status, {"code": code, "category": "CLIENT", "description": description, "details": None}
    )


def review_of(profile_id: int, review_id: str, *, simulation: bool = False) -> KycReview:
    """A review of this profile, for a user token covering it; Wise's 404 otherwise."""
    token, _ = user_token()
    granted_profile(token, profile_id)
    store = emulator().store
    with store.lock:
        review = store.kyc_reviews.get(review_id)
    if review is None or review.profile_id != profile_id:
        if simulation:
            raise client_error(404, "kyc_review.not_found", "KycReview not found")
        raise validation_error(404, "NOT_FOUND", "KYC review not found", "kycReviewId")
    return review


@bp.post("/v1/profiles/<int:profile_id>/kyc-reviews")
def create_review(profile_id: int) -> tuple[Response, int]:
    """Start a KYC review for an action (proactive KYC); answers 202 with the NEW review."""
    token, _ = user_token()
    profile = granted_profile(token, profile_id)
    data = json_object()
    kind = data.get("type")
    if kind not in REVIEW_TYPES:
        raise validation_error(400, "INVALID", "Unsupported KYC review type", "type", [kind])
    trigger = data.get("triggerData") if isinstance(data.get("triggerData"), dict) else {}
    if kind == "QUOTE":
        # The emulator has no quotes, so no quote id can be found.
        raise validation_error(404, "NOT_FOUND", "Quote not found", "triggerData.id")
    if kind == "PROACTIVE_SEND_MONEY" and profile.type != "BUSINESS":
        # "proactive KYC is only supported ... for business Send Money."
        raise validation_error(
            400, "INVALID", "Proactive KYC is only supported for business profiles", "type"
        )
    review = kyc.create_review(
        emulator(), profile_id, [{"type": kind, "triggerData": {"id": (trigger or {}).get("id")}}]
    )
    return jsonify(kyc.review_json(review, with_requirements=False)), 202


@bp.get("/v1/profiles/<int:profile_id>/kyc-reviews")
def list_reviews(profile_id: int) -> Response:
    """Every active KYC review of the profile, paged (pageNumber from 1, pageSize up to 100)."""
    token, _ = user_token()
    granted_profile(token, profile_id)
    page = request.args.get("pageNumber", "1")
    size = request.args.get("pageSize", "100")
    if not (page.isdigit() and size.isdigit() and int(page) >= 1 and 1 <= int(size) <= 100):
        raise validation_error(400, "INVALID", "Invalid paging", "pageSize")
    store = emulator().store
    with store.lock:
        reviews = sorted(
            (r for r in store.kyc_reviews.values() if r.profile_id == profile_id),
            key=lambda r: r.created_at,
        )
        start = (int(page) - 1) * int(size)
        return jsonify(
            [
                kyc.review_json(r, with_requirements=False)
                for r in reviews[start : start + int(size)]
            ]
        )


@bp.get("/v2/profiles/<int:profile_id>/kyc-reviews/<review_id>")
def get_review(profile_id: int, review_id: str) -> Response:
    """One review with its requirements."""
    review = review_of(profile_id, review_id)
    with emulator().store.lock:
        return jsonify(kyc.review_json(review, with_requirements=True))


@bp.get("/v1/profiles/<int:profile_id>/kyc-reviews/<review_id>")
def get_review_v1(profile_id: int, review_id: str) -> Response:
    """One review without requirements (deprecated by Wise in favour of v2)."""
    review = review_of(profile_id, review_id)
    with emulator().store.lock:
        return jsonify(kyc.review_json(review, with_requirements=False))


@bp.patch("/v1/profiles/<int:profile_id>/kyc-reviews/<review_id>")
def update_redirect_url(profile_id: int, review_id: str) -> Response:
    """Set where the hosted page sends the customer back; a waiting review gets a fresh link."""
    review = review_of(profile_id, review_id)
    url = json_object().get("redirectUrl")
    parts = urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or not parts.scheme
        or not (parts.netloc or parts.scheme not in ("http", "https"))
    ):
        raise validation_error(400, "INVALID", "redirectUrl is not valid URI", "redirectUrl")
    state = emulator()
    kyc.issue_link(state, review, str(url), request.host_url)
    with state.store.lock:
        return jsonify(kyc.review_json(review, with_requirements=False))


# -- sandbox simulation ------------------------------------------------------------------------

SIMULATION = "/v2/simulation/profiles/<int:profile_id>/kyc-reviews/<review_id>"


@bp.get(f"{SIMULATION}/requirements")
def simulated_requirements(profile_id: int, review_id: str) -> Response:
    """The review's requirements and their states."""
    review = review_of(profile_id, review_id, simulation=True)
    with emulator().store.lock:
        listed = [
            {"key": r["key"], "state": r["state"], "description": None} for r in review.requirements
        ]
    return jsonify({"requirements": listed})


@bp.post(f"{SIMULATION}/requirements/add")
def simulate_add_requirement(profile_id: int, review_id: str) -> Response:
    """Business profiles only: add the static BUSINESS_USE_CASE requirement."""
    review = review_of(profile_id, review_id, simulation=True)
    state = emulator()
    with state.store.lock:
        profile = state.store.profiles[profile_id]
    if profile.type != "BUSINESS":
        raise client_error(
            400,
            "invalid-request",
            f"Profile {profile_id}L is a personal type, not permitted to simulate evidence request",
        )
    with state.store.lock:
        review.requirements.append(
            {"key": "BUSINESS_USE_CASE", "state": "NOT_PROVIDED", "apiCollectionSupported": False}
        )
    kyc.move(state, review, "WAITING_CUSTOMER_INPUT")
    return Response(status=202)


@bp.post(f"{SIMULATION}/requirements/submit")
def simulate_submit_requirement(profile_id: int, review_id: str) -> Response:
    """Submit one requirement as the customer would (it goes IN_REVIEW)."""
    review = review_of(profile_id, review_id, simulation=True)
    key = json_object().get("requirement")
    state = emulator()
    with state.store.lock:
        found = next((r for r in review.requirements if r["key"] == key), None)
    if found is None or not (key in SUBMITTABLE or "___" in str(key)):
        raise client_error(
            400, "invalid-request", f"KycRequirement {{{key}}} was not found for KycReview"
        )
    with state.store.lock:
        found["state"] = "IN_REVIEW"
        waiting = any(r["state"] == "NOT_PROVIDED" for r in review.requirements)
    kyc.move(state, review, "WAITING_CUSTOMER_INPUT" if waiting else "PROCESSING")
    return Response(status=202)


@bp.post(f"{SIMULATION}/verify")
def simulate_verify(profile_id: int, review_id: str) -> Response:
    """APPROVE or REJECT the listed requirements (all blocking ones when none are listed)."""
    review = review_of(profile_id, review_id, simulation=True)
    data = json_object()
    action = data.get("requestedAction")
    if action not in ("APPROVE", "REJECT"):
        raise client_error(
            400,
            "kyc_review.state_update_not_allowed",
            f"Invalid action passed in request, action: {action}",
        )
    wanted: Any = data.get("requirements")
    state = emulator()
    with state.store.lock:
        chosen = [r for r in review.requirements if not wanted or r["key"] in (wanted or [])]
        for requirement in chosen:
            requirement["state"] = "VERIFIED" if action == "APPROVE" else "REJECTED"
        done = all(r["state"] == "VERIFIED" for r in review.requirements)
        for requirement in review.requirements:
            if requirement["state"] == "REJECTED":
                requirement["state"] = "NOT_PROVIDED"  # the customer must provide it again
    kyc.move(state, review, "PASSED" if done else "WAITING_CUSTOMER_INPUT")
    return Response(status=202)
