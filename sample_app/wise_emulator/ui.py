"""The authorize pages: log in or sign up, two-factor code, consent.

Forms post back to the emulator only; the session cookie is SameSite=Lax, so another site cannot
post them with the person's flow.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .config import TWO_FACTOR_CODE
from .models import Flow
from .state import emulator
from .store import secret_matches
from .tokens import issue_auth_code, take_claim_code
from .ui_flow import (
    UiError,
    client_name,
    current_flow,
    end_flow,
    page,
    start_flow,
    with_query,
)

bp = Blueprint("wise_ui", __name__)


@bp.get("/oauth/authorize")
@bp.get("/oauth/authorize/")
def authorize() -> ResponseReturnValue:
    """Check the client and redirect URI, then start the log-in or claim pages."""
    store = emulator().store
    client = store.clients.get(request.args.get("client_id", ""))
    if client is None:
        raise UiError("Unknown application", "No application is registered with this client_id.")
    redirect_uri = request.args.get("redirect_uri", "")
    # Exact match, query string included: a near miss is an error page, never a redirect.
    if redirect_uri not in client.redirect_uris:
        raise UiError(
            "Redirect URI not allowed",
            f"The redirect_uri is not registered for {client.name} (invalid_grant).",
        )
    claim_user_id: int | None = None
    claim_code = request.args.get("claim_account_code")
    if claim_code:
        claim = take_claim_code(store, code=claim_code, client_id=client.client_id)
        if claim is None:
            raise UiError(
                "This link has expired",
                f"The link to finish your Wise account has expired or was already used. "
                f"Go back to {client.name} and start again.",
            )
        claim_user_id = claim.user_id
    start_flow(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        state=request.args.get("state"),
        show_code=request.args.get("forwardingMode") == "showCode",
        claim_user_id=claim_user_id,
    )
    if claim_user_id is not None:
        return redirect(url_for("wise_claim.claim_password"))
    return redirect(url_for(".login"))


@bp.route("/oauth/authorize/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the log-in form and check the email and password."""
    flow = current_flow()
    if flow.claim_user_id is not None:
        return redirect(url_for("wise_claim.claim_password"))
    name = client_name(flow)
    if request.method == "GET":
        return page("login.html", "Log in to Wise", client_name=name, email="")
    email = request.form.get("email", "").strip()
    user = emulator().store.user_by_email(email)
    if user is None or not secret_matches(request.form.get("password", ""), user.password_hash):
        return (
            page(
                "login.html",
                "Log in to Wise",
                client_name=name,
                email=email,
                error="The email or password is not right.",
            ),
            400,
        )
    with emulator().store.lock:
        flow.user_id = user.id
        flow.two_factor_passed = False
    return redirect(url_for(".two_factor"))


@bp.route("/oauth/authorize/2fa", methods=["GET", "POST"])
def two_factor() -> ResponseReturnValue:
    """Ask for the two-factor code; the sandbox code is always 111111."""
    flow = current_flow()
    if flow.user_id is None:
        return redirect(url_for(".login"))
    if request.method == "GET":
        return page("two_factor.html", "Confirm it's you")
    if request.form.get("code", "").strip() != TWO_FACTOR_CODE:
        return (
            page("two_factor.html", "Confirm it's you", error="That code is not right."),
            400,
        )
    with emulator().store.lock:
        flow.two_factor_passed = True
    if flow.claim_user_id is not None and not flow.claim_reviewed:
        return redirect(url_for("wise_claim.claim_review"))
    return redirect(url_for(".consent"))


@bp.route("/oauth/authorize/consent", methods=["GET", "POST"])
def consent() -> ResponseReturnValue:
    """Let the person pick a profile and allow or deny the application."""
    flow = current_flow()
    if flow.user_id is None or not flow.two_factor_passed:
        return redirect(url_for(".login"))
    if flow.claim_user_id is not None and not flow.claim_reviewed:
        return redirect(url_for("wise_claim.claim_review"))
    store = emulator().store
    profiles = store.profiles_of(flow.user_id)
    name = client_name(flow)
    if request.method == "GET":
        return page("consent.html", f"Connect {name}", client_name=name, profiles=profiles)
    if request.form.get("decision") == "deny":
        return deny(flow)
    profile_id: int | None = None
    if profiles:
        chosen = request.form.get("profile_id", str(profiles[0].id))
        matching = [p for p in profiles if str(p.id) == chosen]
        if not matching:
            error = "Choose one of your profiles."
            return (
                page(
                    "consent.html",
                    f"Connect {name}",
                    client_name=name,
                    profiles=profiles,
                    error=error,
                ),
                400,
            )
        profile_id = matching[0].id
    code = issue_auth_code(
        store,
        client_id=flow.client_id,
        redirect_uri=flow.redirect_uri,
        user_id=flow.user_id,
        profile_id=profile_id,
    )
    end_flow(flow)
    if flow.show_code:
        return page("show_code.html", "Your authorization code", code=code, profile_id=profile_id)
    params = {"code": code}
    if flow.state is not None:
        params["state"] = flow.state
    if profile_id is not None:
        # A customer account without a profile comes back with a code but no profileId.
        params["profileId"] = str(profile_id)
    return redirect(with_query(flow.redirect_uri, params), code=302)


def deny(flow: Flow) -> ResponseReturnValue:
    """Send the person back with an error instead of a code."""
    switches = emulator().store.switches
    params = {"error": switches.deny_error, "error_description": switches.deny_error_description}
    if flow.state is not None and switches.deny_includes_state:
        params["state"] = flow.state
    end_flow(flow)
    return redirect(with_query(flow.redirect_uri, params), code=302)
