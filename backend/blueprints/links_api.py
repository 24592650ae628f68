"""Partner API: a customer's Wise link, its access token for partner services, and unlinking."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend import extensions
from backend.api import json_response, parse_body, parse_query, require_api_key
from backend.errors import (
    Conflict,
    InvalidRequest,
    InvalidReturnUrl,
    KycReviewNotWaiting,
    NotFound,
    NotLinked,
    ReauthorizationRequired,
    SandboxOnly,
    StoredTokenUnreadable,
    WiseRefused,
    WiseTemporarilyUnavailable,
)
from backend.models import (
    AccessTokenPublic,
    AccessTokenRequest,
    ExternalId,
    KycLaunchCreate,
    KycLaunchCreated,
    KycReviewList,
    KycReviewPublic,
    KycReviewsQuery,
    WiseLinkPublic,
    WiseLinkQuery,
)
from backend.models.session import EXTERNAL_ID_RE
from backend.openapi import Reply, contract
from backend.services import kyc_reviews, links, tokens, verification

bp = Blueprint("links_api", __name__, url_prefix="/api/v1/customers")
bp.before_request(require_api_key)
TAG = "Wise links"
CUSTOMER = {"external_id": ExternalId}
# Every route that hands out or uses the customer's Wise token.
TOKEN_ERRORS = (
    NotLinked,
    ReauthorizationRequired,
    WiseTemporarilyUnavailable,
    StoredTokenUnreadable,
)


@bp.before_request
def check_external_id() -> None:
    """Refuse malformed customer ids (after the key check), with the session creation rule."""
    external_id = (request.view_args or {}).get("external_id")
    if not isinstance(external_id, str) or not EXTERNAL_ID_RE.match(external_id):
        raise InvalidRequest(
            "external_id must be 1-128 letters, digits or . _ : @ + -", field="external_id"
        )


@bp.get("/<external_id>/wise-link")
@contract(
    tag=TAG,
    path=CUSTOMER,
    query=WiseLinkQuery,
    replies={200: WiseLinkPublic},
    errors=(*TOKEN_ERRORS, WiseRefused),
)
def read_link(external_id: str) -> Response:
    """Return the customer's link status; ``?refresh=verification`` asks Wise first.

    A customer who never linked, or was unlinked, reads as ``status: not_linked``. Only
    ``refresh=verification`` calls Wise, and only it answers 404, 409, 502 or 503 for the link.
    """
    query = parse_query(WiseLinkQuery)
    if query.refresh is None:
        row = links.find_link(ctx=extensions.context(), customer_external_id=external_id)
        return json_response(WiseLinkPublic.of(row))
    row = verification.refresh_verification(
        ctx=extensions.context(),
        customer_external_id=external_id,
        # Without a list: ONBOARDING_VERIFICATION_SOURCE_CURRENCIES.
        source_currencies=query.currencies,
    )
    return json_response(WiseLinkPublic.of(row))


@bp.post("/<external_id>/wise-link/access-token")
@contract(
    tag=TAG,
    path=CUSTOMER,
    body=AccessTokenRequest,
    body_required=False,
    replies={200: AccessTokenPublic},
    errors=(*TOKEN_ERRORS, Conflict),
)
def issue_access_token(external_id: str) -> Response:
    """Return a user access token for the partner's own calls to Wise (server to server only)."""
    data = parse_body(AccessTokenRequest) if request.content_length else AccessTokenRequest()
    token = tokens.access_token(
        ctx=extensions.context(),
        customer_external_id=external_id,
        rejected_token=data.rejected_access_token,
    )
    return json_response(
        AccessTokenPublic(access_token=token.access_token, expires_at=token.expires_at)
    )


@bp.post("/<external_id>/wise-link/simulate-verification")
@contract(
    tag=TAG,
    path=CUSTOMER,
    replies={202: Reply(WiseLinkPublic, "Wise accepted; the status follows with its webhook.")},
    errors=(SandboxOnly, *TOKEN_ERRORS, WiseRefused),
)
def simulate_verification(external_id: str) -> Response:
    """Sandbox only: ask Wise to verify the profile; the status follows with Wise's webhook."""
    row = verification.simulate_verification(
        ctx=extensions.context(), customer_external_id=external_id
    )
    return json_response(WiseLinkPublic.of(row), status=202)


@bp.get("/<external_id>/wise-link/kyc-reviews")
@contract(
    tag="Hosted KYC",
    path=CUSTOMER,
    query=KycReviewsQuery,
    replies={200: KycReviewList},
    errors=(*TOKEN_ERRORS, WiseRefused),
)
def list_kyc_reviews(external_id: str) -> Response:
    """The KYC reviews of the customer's Wise profile; ``?refresh=wise`` asks Wise first."""
    query = parse_query(KycReviewsQuery)
    rows = kyc_reviews.reviews(
        ctx=extensions.context(),
        customer_external_id=external_id,
        refresh=query.refresh == "wise",
    )
    return json_response(KycReviewList(kyc_reviews=[KycReviewPublic.of(r) for r in rows]))


@bp.post("/<external_id>/wise-link/kyc-reviews/<kyc_review_id>/launch")
@contract(
    tag="Hosted KYC",
    path={**CUSTOMER, "kyc_review_id": str},
    body=KycLaunchCreate,
    replies={201: KycLaunchCreated},
    errors=(InvalidReturnUrl, NotFound, KycReviewNotWaiting, *TOKEN_ERRORS, WiseRefused),
)
def launch_kyc_review(external_id: str, kyc_review_id: str) -> Response:
    """A single-use launch link into Wise's page for this review (like an onboarding session)."""
    created = kyc_reviews.create_launch(
        ctx=extensions.context(),
        customer_external_id=external_id,
        kyc_review_id=kyc_review_id,
        data=parse_body(KycLaunchCreate),
    )
    return json_response(created, status=201)


@bp.delete("/<external_id>/wise-link")
@contract(tag=TAG, path=CUSTOMER, replies={204: None}, errors=(NotLinked,))
def delete_link(external_id: str) -> Response:
    """Unlink the customer: the tokens are erased, the audit trail is kept."""
    links.unlink(ctx=extensions.context(), customer_external_id=external_id)
    return Response(status=204)
