"""Control API, events side: webhook key and deliveries, transfers, verification, claim codes."""

from __future__ import annotations

import random

from flask import Blueprint, Response, jsonify

from . import kyc
from .control import bad_request, body
from .errors import oauth_error
from .models import Transfer
from .simulation import move_transfer, set_verification
from .state import emulator
from .tokens import expire_claim_codes
from .webhooks import delivery_json

bp = Blueprint("wise_control_events", __name__)

VERIFICATION_STATES = ("verified", "not_verified")


@bp.get("/webhooks/public-key")
def public_key() -> Response:
    """Return the PEM public key that verifies this emulator's webhook signatures."""
    return Response(emulator().public_key_pem(), mimetype="application/x-pem-file")


@bp.get("/webhooks/deliveries")
def deliveries() -> Response:
    """List every delivery with its body, signature and attempts, oldest first."""
    store = emulator().store
    with store.lock:
        listed = sorted(store.deliveries.values(), key=lambda d: d.created_at)
        return jsonify([delivery_json(d) for d in listed])


@bp.post("/webhooks/flush")
def flush() -> Response:
    """Attempt every pending delivery now and return the attempts."""
    return jsonify(emulator().webhooks.flush())


@bp.post("/transfers")
def create_transfer() -> tuple[Response, int]:
    """Create a transfer for a profile; emits transfers#state-change with previous_state null."""
    profile_id = body().get("profile_id")
    if not isinstance(profile_id, int) or isinstance(profile_id, bool):
        raise bad_request("profile_id must be an integer")
    state = emulator()
    store = state.store
    with store.lock:
        profile = store.profiles.get(profile_id)
        if profile is None:
            raise oauth_error(404, "not_found", "no such profile")
        transfer = Transfer(
            id=store.next_transfer_id(),
            profile_id=profile.id,
            # Not a real account: only the webhook's resource.account_id needs a number.
            account_id=random.randint(10_000_000, 99_999_999),  # noqa: S311
            user_id=profile.user_id,
            status="incoming_payment_waiting",
            created_at=store.now(),
        )
        store.transfers[transfer.id] = transfer
    move_transfer(state, transfer, None)
    result = {
        "id": transfer.id,
        "profile_id": transfer.profile_id,
        "account_id": transfer.account_id,
        "status": transfer.status,
    }
    return jsonify(result), 201


@bp.post("/profiles/<int:profile_id>/verification")
def set_profile_verification(profile_id: int) -> Response:
    """Set a profile's verification state (verified / not_verified) and emit the event."""
    new_state = body().get("state", "verified")
    if new_state not in VERIFICATION_STATES:
        raise bad_request("state must be verified or not_verified")
    state = emulator()
    with state.store.lock:
        profile = state.store.profiles.get(profile_id)
    if profile is None:
        raise oauth_error(404, "not_found", "no such profile")
    set_verification(state, profile, str(new_state))
    return jsonify({"profile_id": profile_id, "state": new_state})


@bp.put("/profiles/<int:profile_id>/verification-routes")
def set_verification_routes(profile_id: int) -> Response:
    """Set what the verification-status endpoint answers per source currency (no webhook).

    ``{"routes": {"GBP": {"current_status": "verified", "maximum_entitled_amount": 100000},
    "USD": {"current_status": "not_verified", "maximum_entitled_amount": 2500}}}``: routes may
    be mixed, and not_verified may come with an amount above zero, as Wise documents.
    """
    routes = body().get("routes")
    if not isinstance(routes, dict):
        raise bad_request("routes must map currency codes to routes")
    parsed: dict[str, dict[str, object]] = {}
    for currency, route in routes.items():
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
            raise bad_request(f"{currency!r} is not a currency code")
        if not isinstance(route, dict) or route.get("current_status") not in VERIFICATION_STATES:
            raise bad_request("each route needs current_status verified or not_verified")
        amount = route.get("maximum_entitled_amount", 0)
        if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
            raise bad_request("maximum_entitled_amount must be a number, 0 or more")
        parsed[currency] = {
            "maximum_entitled_amount": amount,
            "current_status": route["current_status"],
        }
    state = emulator()
    with state.store.lock:
        profile = state.store.profiles.get(profile_id)
        if profile is None:
            raise oauth_error(404, "not_found", "no such profile")
        profile.verification_routes = parsed
    return jsonify({"profile_id": profile_id, "routes": parsed})


@bp.post("/profiles/<int:profile_id>/kyc-reviews")
def create_kyc_review(profile_id: int) -> tuple[Response, int]:
    """Make Wise need more from the customer, as its own transfer flow would (Hosted KYC).

    ``{"trigger": "TRANSFER", "trigger_id": 123, "requirement": "ID_DOCUMENT_WITH_LIVENESS"}``
    (all optional). The review goes NEW, then WAITING_CUSTOMER_INPUT; both are sent as webhooks.
    """
    data = body()
    trigger = str(data.get("trigger", "TRANSFER"))
    requirement = str(data.get("requirement", kyc.DEFAULT_REQUIREMENT))
    state = emulator()
    with state.store.lock:
        if profile_id not in state.store.profiles:
            raise oauth_error(404, "not_found", "no such profile")
        trigger_id = data.get("trigger_id", state.store.next_transfer_id())
    review = kyc.create_review(
        state, profile_id, [{"type": trigger, "triggerData": {"id": trigger_id}}],
        requirement=requirement,
    )  # fmt: skip
    with state.store.lock:
        current = state.store.kyc_reviews[review.id]
        return jsonify(kyc.review_json(current, with_requirements=True)), 201


@bp.get("/kyc-reviews")
def list_kyc_reviews() -> Response:
    """Every KYC review, with its requirements and redirect URL."""
    store = emulator().store
    with store.lock:
        listed = sorted(store.kyc_reviews.values(), key=lambda r: r.created_at)
        return jsonify(
            [
                {"profile_id": r.profile_id, **kyc.review_json(r, with_requirements=True)}
                for r in listed
            ]
        )


@bp.post("/claim-codes/expire")
def expire_codes() -> Response:
    """Expire every outstanding claim_account_code now."""
    return jsonify({"expired": expire_claim_codes(emulator().store)})
