"""Partner API: a customer's Wise link, its access token for partner services, and unlinking."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend import extensions
from backend.api import json_response, parse_body, require_api_key
from backend.errors import InvalidRequest
from backend.models import AccessTokenPublic, AccessTokenRequest, WiseLinkPublic
from backend.models.session import EXTERNAL_ID_RE
from backend.services import links, tokens, verification

bp = Blueprint("links_api", __name__, url_prefix="/api/v1/customers")
bp.before_request(require_api_key)
CURRENCY_LIST_MAX = 10


@bp.before_request
def check_external_id() -> None:
    """Refuse malformed customer ids (after the key check), with the session creation rule."""
    external_id = (request.view_args or {}).get("external_id")
    if not isinstance(external_id, str) or not EXTERNAL_ID_RE.match(external_id):
        raise InvalidRequest(
            "external_id must be 1-128 letters, digits or . _ : @ + -", field="external_id"
        )


@bp.get("/<external_id>/wise-link")
def read_link(external_id: str) -> Response:
    """Return the customer's link status; ``?refresh=verification`` asks Wise first."""
    refresh = request.args.get("refresh")
    if refresh is None:
        row = links.find_link(ctx=extensions.context(), customer_external_id=external_id)
        return json_response(WiseLinkPublic.of(row))
    if refresh != "verification":
        raise InvalidRequest("refresh only accepts 'verification'.", field="refresh")
    currencies = _currencies(request.args.get("source_currencies"))
    row = verification.refresh_verification(
        ctx=extensions.context(),
        customer_external_id=external_id,
        source_currencies=currencies,
    )
    return json_response(WiseLinkPublic.of(row))


@bp.post("/<external_id>/wise-link/access-token")
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
def simulate_verification(external_id: str) -> Response:
    """Sandbox only: ask Wise to verify the profile; the status follows with Wise's webhook."""
    row = verification.simulate_verification(
        ctx=extensions.context(), customer_external_id=external_id
    )
    return json_response(WiseLinkPublic.of(row), status=202)


@bp.delete("/<external_id>/wise-link")
def delete_link(external_id: str) -> Response:
    """Unlink the customer: the tokens are erased, the audit trail is kept."""
    links.unlink(ctx=extensions.context(), customer_external_id=external_id)
    return Response(status=204)


def _currencies(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return verification.DEFAULT_CURRENCIES
    parts = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
    if (
        not parts
        or len(parts) > CURRENCY_LIST_MAX
        or not all(len(p) == 3 and p.isalpha() and p.isascii() for p in parts)
    ):
        raise InvalidRequest(
            "source_currencies must list ISO 4217 codes, e.g. GBP,EUR.", field="source_currencies"
        )
    return parts
