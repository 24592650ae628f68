"""Sandbox simulation and verification status: what makes profiles verified and transfers move.

``POST /v1/simulation/profiles/{id}/verifications`` and ``POST /v1/simulation/verify-profile`` mark
profiles verified and emit ``profiles#verification-state-change``; the transfer simulation moves a
transfer along and emits ``transfers#state-change`` with ``previous_state``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .auth import accessible_profile, bearer_token, granted_profile, user_token
from .errors import oauth_error, validation_error
from .models import Profile, Transfer
from .state import Emulator, emulator
from .tokens import iso_seconds
from .views import local_iso
from .webhooks import TRANSFER_EVENT, VERIFICATION_EVENT

bp = Blueprint("wise_simulation", __name__)

TRANSFER_STEPS = (
    "incoming_payment_waiting",
    "processing",
    "funds_converted",
    "outgoing_payment_sent",
)
VERIFIED_LIMIT = 100_000
CURRENCY = re.compile(r"^[A-Z]{3}$")


def set_verification(
    state: Emulator, profile: Profile, new_state: str, *, client_id: str | None = None
) -> None:
    """Set a profile's verification state and tell the applications that know the profile."""
    store = state.store
    with store.lock:
        profile.verification_state = new_state
        profile.verification_routes.clear()  # a verification decision replaces per-route ones
        if client_id is not None:
            profile.linked_client_ids.add(client_id)
        clients = set(profile.linked_client_ids)
        data = {
            "resource": {"type": "profile", "id": profile.id},
            "current_state": new_state,
            "occurred_at": iso_seconds(store.now()),
        }
    state.webhooks.emit(VERIFICATION_EVENT, data, client_ids=clients)


def move_transfer(state: Emulator, transfer: Transfer, new_state: str | None) -> None:
    """Move a transfer to ``new_state`` (None: just created) and emit its state change."""
    store = state.store
    with store.lock:
        previous: str | None = None if new_state is None else transfer.status
        if new_state is not None:
            transfer.status = new_state
        profile = store.profiles[transfer.profile_id]
        data = {
            "resource": {
                "type": "transfer",
                "id": transfer.id,
                "profile_id": transfer.profile_id,
                "account_id": transfer.account_id,
            },
            "current_state": transfer.status,
            "previous_state": previous,
            "occurred_at": iso_seconds(store.now()),
        }
        clients = set(profile.linked_client_ids)
    state.webhooks.emit(TRANSFER_EVENT, data, client_ids=clients, profile_id=transfer.profile_id)


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    """Return the transfer fields the simulation answers with."""
    return {
        "id": transfer.id,
        "user": transfer.user_id,
        "profileId": transfer.profile_id,
        "targetAccount": transfer.account_id,
        "status": transfer.status,
        "created": local_iso(transfer.created_at),
        "hasActiveIssues": False,
    }


@bp.post("/v1/simulation/profiles/<int:profile_id>/verifications")
def simulate_verification(profile_id: int) -> Response:
    """Mark one profile verified (user or application token)."""
    token = bearer_token()
    profile = accessible_profile(token, profile_id)
    set_verification(emulator(), profile, "verified", client_id=token.client_id)
    return Response(status=200)


@bp.post("/v1/simulation/verify-profile")
def simulate_verify_all() -> Response:
    """Mark every profile of the token's user verified."""
    token, user = user_token()
    state = emulator()
    for profile in state.store.profiles_of(user.id):
        set_verification(state, profile, "verified", client_id=token.client_id)
    return Response(status=200)


@bp.get("/v1/simulation/transfers/<int:transfer_id>/<step>")
def simulate_transfer(transfer_id: int, step: str) -> Response:
    """Move a transfer to processing, funds_converted or outgoing_payment_sent."""
    token = bearer_token()
    if step not in TRANSFER_STEPS[1:]:
        raise oauth_error(404, "not_found", f"No simulation for state {step}")
    state = emulator()
    with state.store.lock:
        transfer = state.store.transfers.get(transfer_id)
    if transfer is None:
        raise validation_error(404, "NOT_FOUND", "Transfer not found", "transferId", [transfer_id])
    accessible_profile(token, transfer.profile_id)
    if TRANSFER_STEPS.index(step) <= TRANSFER_STEPS.index(transfer.status):
        raise validation_error(
            400,
            "INVALID_STATE",
            f"Transfer is already {transfer.status}",
            "status",
            [transfer.status, step],
        )
    move_transfer(state, transfer, step)
    return jsonify(transfer_json(transfer))


@bp.post("/v3/profiles/<int:profile_id>/verification-status/bank-transfer")
def verification_status(profile_id: int) -> Response:
    """Say, per source currency, whether the profile may send money by bank transfer."""
    token, _ = user_token()
    profile = granted_profile(token, profile_id)
    raw = request.args.get("source_currencies", "")
    currencies = [c.strip().upper() for c in raw.split(",") if c.strip()]
    if not currencies:
        raise validation_error(400, "NotNull", "must not be null", "source_currencies")
    bad = [c for c in currencies if not CURRENCY.match(c)]
    if bad:
        raise validation_error(400, "INVALID", "Invalid currency", "source_currencies", bad)
    verified = profile.verification_state == "verified"
    default = {
        "maximum_entitled_amount": VERIFIED_LIMIT if verified else 0,
        "current_status": "verified" if verified else "not_verified",
    }
    with emulator().store.lock:
        routes = [
            {"source_currency": currency, **profile.verification_routes.get(currency, default)}
            for currency in currencies
        ]
    return jsonify({"routes": routes, "request_id": str(uuid.uuid4())})
