"""The user endpoints: ``GET /v1/me`` and ``GET /v1/users/{id}``."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .auth import user_token
from .errors import forbidden
from .models import User
from .state import emulator
from .views import user_me

bp = Blueprint("wise_users", __name__)


def me_json(user: User) -> Response:
    """Render a user as ``/v1/me`` does."""
    store = emulator().store
    with store.lock:
        personal = next((p for p in store.profiles_of(user.id) if p.type == "PERSONAL"), None)
        return jsonify(user_me(user, personal))


@bp.get("/v1/me")
def me() -> Response:
    """Return the token's user, with ``details.dateOfBirth``."""
    _, user = user_token()
    return me_json(user)


@bp.get("/v1/users/<int:user_id>")
def get_user(user_id: int) -> Response:
    """Return the token's own user by id; other ids are forbidden."""
    _, user = user_token()
    if user.id != user_id:
        raise forbidden("This token has no access to this user")
    return me_json(user)
