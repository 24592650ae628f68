"""Partner API: create and read onboarding sessions (server to server, API key)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend import extensions
from backend.api import json_response, parse_body, presented_api_key, require_api_key
from backend.errors import (
    Conflict,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidReturnUrl,
    NotFound,
)
from backend.models import (
    OnboardingSessionCreate,
    OnboardingSessionCreated,
    OnboardingSessionPublic,
)
from backend.openapi import Param, Reply, contract
from backend.services import idempotency, onboarding

bp = Blueprint("sessions_api", __name__, url_prefix="/api/v1/onboarding-sessions")
bp.before_request(require_api_key)
TAG = "Onboarding sessions"
CREATED = Reply(
    OnboardingSessionCreated,
    headers=(
        Param("Location", str, "The new session's URL.", required=True),
        Param("Idempotent-Replayed", str, '"true" when this replays an earlier answer.'),
    ),
)


@bp.post("")
@contract(
    tag=TAG,
    body=OnboardingSessionCreate,
    headers=(Param(idempotency.HEADER, idempotency.KeyHeader, idempotency.KEY_DESCRIPTION),),
    replies={201: CREATED},
    errors=(InvalidReturnUrl, InvalidIdempotencyKey, IdempotencyKeyReused, Conflict),
)
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
@contract(tag=TAG, replies={200: OnboardingSessionPublic}, errors=(NotFound,))
def read_session(session_id: str) -> Response:
    """Return a session's status and outcome."""
    row = onboarding.get_session(ctx=extensions.context(), session_id=session_id)
    return json_response(OnboardingSessionPublic.of(row))
