"""A partner's own "Connect your Wise account", written with Authlib's Flask client.

This is the hand-rolled alternative to the kit's session API, launch and callback. Authlib keeps
the OAuth state in Flask's signed session cookie and exchanges the code at Wise; the app reads the
granted profile, checks the date of birth against its own record and stores the tokens in one
row. ``POST /wise/start`` stands in for the partner's "Connect" button: the form carries the
customer's id and date of birth, which a real app would take from its logged-in user.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, request, session
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from bench.baselines.storage import engine_of

bp = Blueprint("authlib_partner", __name__)
CLIENT_KEY = "bench.baseline.wise"
RETURN_PATH = "/wise/return"
UPSERT = text(
    "INSERT INTO partner_wise_token "
    "(customer_id, profile_id, access_token, refresh_token, expires_at, updated_at) "
    "VALUES (:customer_id, :profile_id, :access_token, :refresh_token, :expires_at, :now) "
    "ON CONFLICT (customer_id) DO UPDATE SET profile_id = excluded.profile_id, "
    "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
    "expires_at = excluded.expires_at, updated_at = excluded.updated_at"
)


def init_app(
    app: Flask,
    *,
    public_url: str,
    wise_api_url: str,
    wise_authorize_url: str,
    client_id: str,
    client_secret: str,
) -> None:
    """Register Wise as an OAuth client of the app."""
    oauth = OAuth(app)
    app.extensions[CLIENT_KEY] = oauth.register(
        "wise",
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=wise_authorize_url,
        access_token_url=f"{wise_api_url}/oauth/token",
        api_base_url=f"{wise_api_url}/",
        client_kwargs={"token_endpoint_auth_method": "client_secret_basic", "timeout": (5, 15)},
    )
    app.config["WISE_REDIRECT_URI"] = f"{public_url}/wise/callback"


def _wise() -> Any:
    return current_app.extensions[CLIENT_KEY]


@bp.post("/wise/start")
def start() -> ResponseReturnValue:
    """Remember who is connecting and send the browser to Wise's authorize page."""
    session["customer"] = {
        "id": request.form["customer_id"],
        "date_of_birth": request.form["date_of_birth"],
    }
    return _wise().authorize_redirect(current_app.config["WISE_REDIRECT_URI"])


@bp.get("/wise/callback")
def callback() -> ResponseReturnValue:
    """Check the state, exchange the code, read the profile, check the date of birth, store."""
    customer = session.pop("customer", None)
    if customer is None:
        return _back("failed")
    wise = _wise()
    try:
        # Compares the state with the one in the session cookie, then exchanges the code.
        token = wise.authorize_access_token()
    except OAuthError:
        return _back("failed")
    profile_id = int(request.args["profileId"])
    profile = wise.get(f"v2/profiles/{profile_id}", token=token)
    if profile.status_code != 200:
        return _back("failed")
    if profile.json().get("dateOfBirth") != customer["date_of_birth"]:
        return _back("identity_mismatch")
    with engine_of(current_app).begin() as conn:
        conn.execute(
            UPSERT,
            {
                "customer_id": customer["id"],
                "profile_id": profile_id,
                "access_token": token["access_token"],
                "refresh_token": token.get("refresh_token"),
                "expires_at": int(token.get("expires_at") or time.time()),
                "now": datetime.now(UTC).replace(tzinfo=None),
            },
        )
    return _back("linked")


@bp.get(RETURN_PATH)
def returned() -> str:
    """The partner's page the customer lands on."""
    return f"Wise: {request.args.get('status', 'unknown')}"


def _back(status: str) -> ResponseReturnValue:
    return redirect(f"{RETURN_PATH}?status={status}", code=303)
