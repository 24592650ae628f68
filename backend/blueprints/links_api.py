"""Partner API: a customer's Wise link status."""

from __future__ import annotations

from flask import Blueprint, Response

from backend.api import json_response, require_api_key
from backend.db import get_session
from backend.models import WiseLinkPublic
from backend.services import links

bp = Blueprint("links_api", __name__, url_prefix="/api/v1/customers")
bp.before_request(require_api_key)


@bp.get("/<external_id>/wise-link")
def read_link(external_id: str) -> Response:
    """Return whether the customer's Wise account is linked, and to which profile."""
    row = links.find_link(db=get_session(), customer_external_id=external_id)
    return json_response(WiseLinkPublic.of(row))
