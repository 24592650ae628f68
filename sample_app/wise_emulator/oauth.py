"""``POST /oauth/token``: HTTP Basic client authentication and the four grants."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request

from . import tokens
from .config import RegisteredClient
from .errors import oauth_error
from .state import emulator

bp = Blueprint("wise_oauth", __name__)


def authenticate_client() -> RegisteredClient:
    """Return the client named by HTTP Basic credentials, or raise Wise's 401."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise oauth_error(
            401, "unauthorized", "Full authentication is required to access this resource"
        )
    client = emulator().store.clients.get(auth.username)
    # compare_digest: the secret check should not leak how many leading characters matched.
    if client is None or not hmac.compare_digest(
        (auth.password or "").encode(), client.client_secret.encode()
    ):
        raise oauth_error(401, "invalid_client", "Bad client credentials")
    return client


def token_form() -> dict[str, str]:
    """Return the form fields; a body that is not form-urlencoded carries none.

    Wise only reads ``application/x-www-form-urlencoded`` bodies, so a JSON body ends up as a
    request with no grant type at all.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return {}
    return {key: value for key, value in request.form.items()}


@bp.post("/oauth/token")
def token() -> Response:
    """Exchange a grant for tokens."""
    client = authenticate_client()
    form = token_form()
    grant_type = form.get("grant_type", "")
    store = emulator().store
    if not grant_type:
        raise oauth_error(400, "invalid_request", "Missing grant type")
    if grant_type == "client_credentials":
        body = tokens.client_credentials_grant(store, client)
    elif grant_type == "authorization_code":
        body = tokens.authorization_code_grant(store, client, form)
    elif grant_type == "refresh_token":
        body = tokens.refresh_token_grant(store, client, form)
    elif grant_type == "registration_code":
        body = tokens.registration_code_grant(store, client, form)
    else:
        raise oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    response = jsonify(body)
    # Token responses must never be cached by anything in between.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
