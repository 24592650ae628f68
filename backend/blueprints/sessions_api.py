"""Partner API: create and read onboarding sessions (server to server, API key)."""

from __future__ import annotations

from flask import Blueprint, Response

from backend import extensions
from backend.api import json_response, parse_body, require_api_key
from backend.db import get_session
from backend.models import (
    OnboardingSessionCreate,
    OnboardingSessionCreated,
    OnboardingSessionPublic,
)
from backend.services import onboarding

bp = Blueprint("sessions_api", __name__, url_prefix="/api/v1/onboarding-sessions")
bp.before_request(require_api_key)


@bp.post("")
def create_session() -> Response:
    """Create a short-lived, single-use onboarding session for one customer."""
    data = parse_body(OnboardingSessionCreate)
    row, launch_url = onboarding.create_session(
        db=get_session(), settings=extensions.settings(), now=extensions.clock().now(), data=data
    )
    body = OnboardingSessionCreated(
        id=row.id, status=row.status, launch_url=launch_url, expires_at=row.expires_at
    )
    response = json_response(body, 201)
    response.headers["Location"] = f"/api/v1/onboarding-sessions/{row.id}"
    return response


@bp.get("/<session_id>")
def read_session(session_id: str) -> Response:
    """Return a session's status and outcome."""
    row = onboarding.get_session(
        db=get_session(), now=extensions.clock().now(), session_id=session_id
    )
    return json_response(OnboardingSessionPublic.of(row))
