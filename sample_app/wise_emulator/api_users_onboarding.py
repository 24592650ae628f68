"""Onboarding API, user side: email check, partner sign-up with a registration code, claim code."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .auth import application_token, user_token
from .errors import ApiError, forbidden, not_null, validation_error
from .payload import json_object
from .state import emulator
from .store import secret_matches
from .tokens import issue_claim_code
from .ui_flow import valid_email

bp = Blueprint("wise_users_onboarding", __name__)

MIN_REGISTRATION_CODE = 32


def already_member(email: str) -> ApiError:
    """Build Wise's 409 for an email that already has an account."""
    return ApiError(
        409,
        {
            "errors": [
                {
                    "code": "NOT_UNIQUE",
                    "message": "You\u2019re already a member. Please login",
                    "path": "email",
                    "arguments": [
                        "email",
                        "class com.transferwise.fx.api.ApiRegisterCommand",
                        email,
                    ],
                }
            ]
        },
    )


@bp.post("/v1/users/exists")
def user_exists() -> Response:
    """Tell whether an email already has a Wise account (client-credentials token)."""
    application_token()
    data = json_object()
    email = data.get("email")
    if not isinstance(email, str) or not email:
        raise not_null("email")
    return jsonify({"exists": emulator().store.user_by_email(email) is not None})


@bp.post("/v1/user/signup/registration_code")
def signup_with_registration_code() -> Response:
    """Create an unclaimed account on the customer's behalf (client-credentials token)."""
    token = application_token()
    data = json_object()
    email, code = data.get("email"), data.get("registrationCode")
    missing = [
        {"code": "NotNull", "message": "must not be null", "path": path, "arguments": []}
        for path, value in (("email", email), ("registrationCode", code))
        if value is None
    ]
    if missing:
        raise ApiError(400, {"errors": missing})
    if not isinstance(code, str) or len(code) < MIN_REGISTRATION_CODE:
        raise validation_error(
            400,
            "Size",
            "size must be between 32 and 2147483647",
            "registrationCode",
            ["registrationCode", 2147483647, MIN_REGISTRATION_CODE],
        )
    if not isinstance(email, str) or not valid_email(email):
        raise validation_error(422, "ERROR", "Please provide a valid email", "email", ["email"])
    store = emulator().store
    with store.lock:
        # Check and create under one lock: two concurrent sign-ups give one 200 and one 409.
        if store.user_by_email(email) is not None:
            raise already_member(email)
        user = store.add_user(
            email=email, registration_code=code, created_by_client_id=token.client_id
        )
    return jsonify(
        {"id": user.id, "name": None, "email": user.email, "active": True, "details": None}
    )


@bp.post("/v1/user/claim-account")
def claim_account() -> Response:
    """Issue a claim_account_code (5 minutes) for the account a registration-code token acts for."""
    token, user = user_token()
    # Only registration-code tokens (and their refreshes) are unscoped; a customer's own consent
    # never lets the partner hand the account to someone else.
    if token.profile_ids is not None:
        raise forbidden("Only a token from the registration_code grant can claim an account")
    code = json_object().get("registrationCode")
    if not isinstance(code, str) or not code:
        raise not_null("registrationCode")
    if not secret_matches(code, user.registration_code_hash):
        raise validation_error(400, "INVALID", "Invalid registration code", "registrationCode")
    if user.claimed:
        raise validation_error(400, "ALREADY_CLAIMED", "Account is already claimed", "email")
    claim_code = issue_claim_code(emulator().store, user_id=user.id, client_id=token.client_id)
    return jsonify({"claimAccountCode": claim_code})
