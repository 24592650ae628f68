"""Control API, events side: webhook key and deliveries, transfers, verification, claim codes."""

from __future__ import annotations

import random

from flask import Blueprint, Response, jsonify

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


@bp.post("/claim-codes/expire")
def expire_codes() -> Response:
    """Expire every outstanding claim_account_code now."""
    return jsonify({"expired": expire_claim_codes(emulator().store)})
