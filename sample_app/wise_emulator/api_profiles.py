"""Reading profiles: ``GET /v2/profiles``, ``GET /v2/profiles/{id}``, directors and UBOs."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .auth import can_see, granted_profile, user_token
from .errors import validation_error
from .state import emulator
from .views import director_json, profile_v2, ubo_json

bp = Blueprint("wise_profiles", __name__)


@bp.get("/v2/profiles")
def list_profiles() -> Response:
    """List the profiles this token may see (only the granted one for authorization-code tokens)."""
    token, user = user_token()
    store = emulator().store
    with store.lock:
        visible = [profile_v2(p) for p in store.profiles_of(user.id) if can_see(token, p)]
    return jsonify(visible)


@bp.get("/v2/profiles/<int:profile_id>")
def get_profile(profile_id: int) -> Response:
    """Return one profile in the v2 shape (top-level ``dateOfBirth`` on personal profiles)."""
    token, _ = user_token()
    profile = granted_profile(token, profile_id)
    with emulator().store.lock:
        return jsonify(profile_v2(profile))


@bp.get("/v1/profiles/<int:profile_id>/directors")
def list_directors(profile_id: int) -> Response:
    """List a business profile's directors."""
    token, _ = user_token()
    profile = granted_profile(token, profile_id)
    with emulator().store.lock:
        return jsonify([director_json(d) for d in profile.directors])


@bp.get("/v1/profiles/<int:profile_id>/ubos")
def list_ubos(profile_id: int) -> Response:
    """List a business profile's ultimate beneficial owners."""
    token, _ = user_token()
    profile = granted_profile(token, profile_id)
    with emulator().store.lock:
        return jsonify([ubo_json(u) for u in profile.ubos])


@bp.get("/v3/profiles/<int:profile_id>/business-profile/business-representative")
def business_representative(profile_id: int) -> Response:
    """Return the representative given when the business profile was created."""
    token, _ = user_token()
    profile = granted_profile(token, profile_id)
    if profile.type != "BUSINESS" or profile.representative is None:
        raise validation_error(404, "NOT_FOUND", "Business representative not found", "profileId")
    with emulator().store.lock:
        return jsonify(profile.representative)
