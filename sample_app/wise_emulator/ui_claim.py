"""Claiming a partner-created account: set a password, then review and edit the pre-filled data."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .claim_form import apply_review, check_form, review_sections
from .models import Flow
from .state import emulator
from .store import hash_secret
from .ui_flow import current_flow, page
from .ui_signup import MIN_PASSWORD_LENGTH

bp = Blueprint("wise_claim", __name__)


def claim_flow() -> tuple[Flow, int]:
    """Return the flow and the user it claims; flows without a claim code go to the log-in page."""
    flow = current_flow()
    if flow.claim_user_id is None:
        raise LookupError("not a claim flow")
    return flow, flow.claim_user_id


@bp.route("/oauth/authorize/claim/password", methods=["GET", "POST"])
def claim_password() -> ResponseReturnValue:
    """Let the customer choose the password of the account the partner created."""
    try:
        flow, user_id = claim_flow()
    except LookupError:
        return redirect(url_for("wise_ui.login"))
    store = emulator().store
    email = store.users[user_id].email
    if request.method == "GET":
        return page("claim_password.html", "Finish setting up your Wise account", email=email)
    password = request.form.get("password", "")
    error = None
    if len(password) < MIN_PASSWORD_LENGTH:
        error = f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    elif request.form.get("confirm", "") != password:
        error = "The two passwords are different."
    if error:
        return (
            page(
                "claim_password.html",
                "Finish setting up your Wise account",
                email=email,
                error=error,
            ),
            400,
        )
    with store.lock:
        user = store.users[user_id]
        user.password_hash = hash_secret(password)
        # From now on the account is the customer's: the registration code stops working.
        user.claimed = True
        flow.claim_password_set = True
        flow.user_id = user_id
        flow.two_factor_passed = False
    return redirect(url_for("wise_ui.two_factor"))


@bp.route("/oauth/authorize/claim/review", methods=["GET", "POST"])
def claim_review() -> ResponseReturnValue:
    """Show the data the partner uploaded and let the customer correct it."""
    try:
        flow, user_id = claim_flow()
    except LookupError:
        return redirect(url_for("wise_ui.login"))
    if not flow.claim_password_set or not flow.two_factor_passed:
        return redirect(url_for(".claim_password"))
    store = emulator().store
    title = "Check your details"
    with store.lock:
        profiles = store.profiles_of(user_id)
        sections = review_sections(profiles)
    if request.method == "GET":
        return page("claim_review.html", title, sections=sections)
    form = {key: value for key, value in request.form.items()}
    error = check_form(sections, form)
    if error:
        return page("claim_review.html", title, sections=sections, error=error), 400
    with store.lock:
        apply_review(user_id, store.profiles_of(user_id), form)
        flow.claim_reviewed = True
    return redirect(url_for("wise_ui.consent"))
