"""Partner API: create and read onboarding sessions (server to server, API key)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend import extensions
from backend.api import json_response, parse_body, presented_api_key, require_api_key
from backend.models import OnboardingSessionCreate, OnboardingSessionPublic
from backend.services import idempotency, onboarding

bp = Blueprint("sessions_api", __name__, url_prefix="/api/v1/onboarding-sessions")
bp.before_request(require_api_key)


@bp.post("")
def create_session() -> Response:
    """Create a short-lived, single-use onboarding session for one customer.

    With an ``Idempotency-Key`` header, a retry with the same body answers with the same session.
    """
    ctx = extensions.context()
    data = parse_body(OnboardingSessionCreate)
    key = idempotency.parse_key(
        ctx=ctx,
        header=request.headers.get(idempotency.HEADER),
        api_key=presented_api_key(),
        body=data,
    )
    created = onboarding.create_session(ctx=ctx, data=data, idempotency_key=key)
    response = json_response(created.body, 201)
    response.headers["Location"] = f"/api/v1/onboarding-sessions/{created.body['id']}"
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/<session_id>")
def read_session(session_id: str) -> Response:
    """Return a session's status and outcome."""
    row = onboarding.get_session(ctx=extensions.context(), session_id=session_id)
    return json_response(OnboardingSessionPublic.of(row))
