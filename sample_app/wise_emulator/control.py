"""The test-only control API under ``/__emulator/``: users, shortcuts, faults, clock, settings.

Nothing here exists at Wise. Tests and the demo use it (through ``EmulatorControl``) to set up
situations and look inside; the partner's code under test never calls it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from .config import DEMO_PASSWORD, RegisteredClient
from .errors import ApiError, oauth_error
from .faults import add_fault, fault_json, release_faults
from .landing import render_landing
from .models import User
from .state import emulator
from .tokens import iso_millis, iso_seconds, issue_auth_code, take_claim_code
from .ui_flow import past_date, valid_email, with_query
from .views import user_control
from .webhooks import USER_EVENT

bp = Blueprint("wise_control", __name__)


def bad_request(description: str) -> ApiError:
    """Build the control API's 400."""
    return oauth_error(400, "bad_request", description)


def body() -> dict[str, Any]:
    """Return the JSON object body (an empty one when there is none)."""
    data = request.get_json(silent=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def find_user(ref: str) -> User:
    """Find a user by id or email, or answer 404."""
    store = emulator().store
    with store.lock:
        user = store.users.get(int(ref)) if ref.isdigit() else store.user_by_email(ref)
    if user is None:
        raise oauth_error(404, "not_found", "no such user")
    return user


def user_json(user: User) -> Response:
    """Render a user with its profiles."""
    store = emulator().store
    with store.lock:
        return jsonify(user_control(user, store.profiles_of(user.id)))


@bp.errorhandler(ValueError)
def handle_value_error(error: ValueError) -> Response:
    """Turn a refused control value into a 400."""
    return bad_request(str(error)).response()


@bp.get("/")
def index() -> str:
    """The landing page, which lists these routes."""
    return render_landing()


@bp.post("/reset")
def reset() -> Response:
    """Forget everything and seed the demo users again (clients and signing key stay)."""
    state = emulator()
    state.webhooks.cancel_pending()
    release_faults(state.store)
    state.store.reset()
    return jsonify({"reset": True})


@bp.get("/counters")
def counters() -> Response:
    """Report request, token and creation counts since the last reset."""
    store = emulator().store
    with store.lock:
        report: dict[str, Any] = {name: dict(values) for name, values in store.counters.items()}
        report["users_created"] = store.counters["created"]["users"]
        report["profiles_created"] = store.counters["created"]["profiles"]
    return jsonify(report)


@bp.get("/clients")
def list_clients() -> Response:
    """List the registered API clients (without secrets)."""
    store = emulator().store
    with store.lock:
        clients = [
            {
                "client_id": c.client_id,
                "client_key": c.client_key,
                "name": c.name,
                "redirect_uris": list(c.redirect_uris),
            }
            for c in store.clients.values()
        ]
    return jsonify(clients)


@bp.put("/clients/<client_id>")
def put_client(client_id: str) -> Response:
    """Register or replace an API client, e.g. once the partner's port is known."""
    data = body()
    redirect_uris = data.get("redirect_uris", [])
    if not isinstance(redirect_uris, list) or not all(isinstance(u, str) for u in redirect_uris):
        raise bad_request("redirect_uris must be a list of strings")
    for name in ("client_secret", "client_key"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise bad_request(f"{name} is required")
    client = RegisteredClient(
        client_id=client_id,
        client_secret=data["client_secret"],
        client_key=data["client_key"],
        redirect_uris=redirect_uris,
        name=str(data.get("name", "Acme Bank")),
    )
    store = emulator().store
    with store.lock:
        store.clients[client_id] = client
    return jsonify({"client_id": client_id, "redirect_uris": redirect_uris})


@bp.post("/users")
def create_user() -> tuple[Response, int]:
    """Create a user with a password and profiles (default: one PERSONAL profile)."""
    data = body()
    email = str(data.get("email", ""))
    if not valid_email(email):
        raise bad_request("a valid email is required")
    first = str(data.get("first_name", "Test"))
    last = str(data.get("last_name", "User"))
    dob = past_date(str(data.get("date_of_birth", "1990-01-01")))
    if dob is None:
        raise bad_request("date_of_birth must be a past YYYY-MM-DD date")
    profiles = data.get("profiles", ["PERSONAL"])
    if not isinstance(profiles, list):
        raise bad_request("profiles must be a list")
    store = emulator().store
    with store.lock:
        if store.user_by_email(email) is not None:
            raise oauth_error(409, "conflict", "a user with this email exists")
        user = store.add_user(
            email=email,
            password=str(data.get("password", DEMO_PASSWORD)),
            first_name=first,
            last_name=last,
            date_of_birth=dob,
        )
        for item in profiles:
            spec = {"type": item} if isinstance(item, str) else dict(item)
            kind = str(spec.get("type", "PERSONAL")).upper()
            if kind == "PERSONAL":
                store.add_personal_profile(
                    user, first_name=first, last_name=last, date_of_birth=dob
                )
            elif kind == "BUSINESS":
                store.add_profile(
                    user,
                    "BUSINESS",
                    business_name=spec.get("business_name", f"{last} Trading Ltd"),
                    registration_number=spec.get("registration_number", "12345678"),
                    company_type=spec.get("company_type", "LIMITED"),
                )
            else:
                raise bad_request("profile type must be PERSONAL or BUSINESS")
    response = user_json(user)
    return response, 201


@bp.get("/users/<ref>")
def get_user(ref: str) -> Response:
    """Return a user, by id or email, with every profile and its data."""
    return user_json(find_user(ref))


@bp.post("/users/<ref>/revoke")
def revoke_user(ref: str) -> Response:
    """Revoke every token of the user, as when they disconnect the application at Wise."""
    user = find_user(ref)
    revoked = emulator().store.revoke_user_tokens(user.id)
    return jsonify({"user_id": user.id, "revoked_refresh_tokens": revoked})


USER_STATES = ("ACTIVE", "WITHDRAW_ONLY", "DEACTIVATED")
DEACTIVATION_TYPES = ("ACCOUNT_SUSPENSION", "ACCOUNT_CLOSURE")


@bp.post("/users/<ref>/state")
def set_user_state(ref: str) -> Response:
    """Move a user to ACTIVE, WITHDRAW_ONLY or DEACTIVATED and emit ``users#state-change``.

    DEACTIVATED revokes every token of the user, as Wise documents.
    """
    user = find_user(ref)
    data = body()
    new_state = data.get("state")
    kind = data.get("deactivation_type")
    reason = data.get("deactivation_reason")
    if new_state not in USER_STATES:
        raise bad_request("state must be ACTIVE, WITHDRAW_ONLY or DEACTIVATED")
    if kind is not None and kind not in DEACTIVATION_TYPES:
        raise bad_request("deactivation_type must be ACCOUNT_SUSPENSION or ACCOUNT_CLOSURE")
    if reason is not None and not isinstance(reason, str):
        raise bad_request("deactivation_reason must be a string")
    state = emulator()
    store = state.store
    with store.lock:
        previous, user.state = user.state, str(new_state)
        user.active = new_state != "DEACTIVATED"
        event: dict[str, Any] = {
            "resource": {"id": user.id, "type": "user"},
            "previous_state": previous,
            "current_state": new_state,
            "occurred_at": iso_seconds(store.now()),
        }
        if kind is not None:
            event["deactivation_type"] = kind
        if reason is not None:
            event["deactivation_reason"] = reason
        clients = {c for p in store.profiles_of(user.id) for c in p.linked_client_ids}
        if user.created_by_client_id:
            clients.add(user.created_by_client_id)
    if new_state == "DEACTIVATED":
        store.revoke_user_tokens(user.id)
    state.webhooks.emit(USER_EVENT, event, client_ids=clients)
    return user_json(user)


@bp.post("/users/<ref>/email")
def change_email(ref: str) -> Response:
    """Change the user's email; Wise then revokes all of the user's tokens."""
    user = find_user(ref)
    email = str(body().get("email", ""))
    if not valid_email(email):
        raise bad_request("a valid email is required")
    store = emulator().store
    with store.lock:
        other = store.user_by_email(email)
        if other is not None and other.id != user.id:
            raise oauth_error(409, "conflict", "a user with this email exists")
        user.email = email
        for profile in store.profiles_of(user.id):
            profile.email = email
        store.revoke_user_tokens(user.id)
    return user_json(user)


@bp.post("/authorize")
def authorize_shortcut() -> Response:
    """Issue a code as if the user had logged in and allowed the client (no pages)."""
    data = body()
    store = emulator().store
    client = store.clients.get(str(data.get("client_id", "")))
    if client is None:
        raise bad_request("unknown client_id")
    redirect_uri = str(data.get("redirect_uri", ""))
    if redirect_uri not in client.redirect_uris:
        raise bad_request("redirect_uri is not registered for this client (exact match)")
    user = find_user(str(data.get("email", "")))
    claim_code = data.get("claim_account_code")
    if claim_code:
        claim = take_claim_code(store, code=str(claim_code), client_id=client.client_id)
        if claim is None or claim.user_id != user.id:
            raise bad_request("claim_account_code is unknown, used, expired or for another user")
        with store.lock:
            user.claimed = True
    profiles = store.profiles_of(user.id)
    profile_id = data.get("profile_id")
    if profile_id is not None:
        if int(profile_id) not in {p.id for p in profiles}:
            raise bad_request("profile_id is not one of the user's profiles")
        profile_id = int(profile_id)
    elif profiles:
        profile_id = profiles[0].id
    code = issue_auth_code(
        store,
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        user_id=user.id,
        profile_id=profile_id,
    )
    params = {"code": code}
    if data.get("state") is not None:
        params["state"] = str(data["state"])
    if profile_id is not None:
        params["profileId"] = str(profile_id)
    return jsonify(
        {"code": code, "profile_id": profile_id, "redirect_url": with_query(redirect_uri, params)}
    )


@bp.get("/faults")
def list_faults() -> Response:
    """List the faults still armed."""
    store = emulator().store
    with store.lock:
        return jsonify([fault_json(f) for f in store.faults])


@bp.post("/faults")
def create_fault() -> tuple[Response, int]:
    """Arm a fault: status (null: delay only), count (null: until cleared), delay, grant type."""
    data = body()
    if not isinstance(data.get("path"), str) or not data["path"].startswith("/"):
        raise bad_request("path must start with /")
    extra = data.get("body")
    if extra is not None and not isinstance(extra, dict):
        raise bad_request("body must be a JSON object")
    fault = add_fault(
        emulator().store,
        method=str(data.get("method", "*")),
        path=data["path"],
        status=data.get("status", 503),
        count=data.get("count", 1),
        delay_seconds=float(data.get("delay_seconds", 0.0)),
        grant_type=data.get("grant_type"),
        body=extra,
        hold=bool(data.get("hold", False)),
        lose_answer=bool(data.get("lose_answer", False)),
    )
    return jsonify(fault_json(fault)), 201


@bp.get("/faults/<int:fault_id>")
def get_fault(fault_id: int) -> Response:
    """One fault, armed or held, with how many requests it is holding right now."""
    store = emulator().store
    with store.lock:
        found = store.held.get(fault_id) or next(
            (f for f in store.faults if f.id == fault_id), None
        )
        if found is None:
            raise oauth_error(404, "not_found", "no such fault")
        return jsonify(fault_json(found))


@bp.post("/faults/release")
def release_all() -> Response:
    """Let every request parked by a hold fault go on."""
    return jsonify({"released": release_faults(emulator().store)})


@bp.post("/faults/<int:fault_id>/release")
def release_one(fault_id: int) -> Response:
    """Let the requests parked by one hold fault go on."""
    return jsonify({"released": release_faults(emulator().store, fault_id)})


@bp.delete("/faults")
def clear_faults() -> Response:
    """Disarm every fault."""
    store = emulator().store
    with store.lock:
        store.faults.clear()
    # Nothing may stay parked once the faults are gone.
    release_faults(store)
    return jsonify([])


@bp.get("/clock")
def get_clock() -> Response:
    """Report the emulator's time and its offset from the configured clock."""
    store = emulator().store
    with store.lock:
        return jsonify(
            {"now": iso_millis(store.now()), "offset_seconds": store.clock_offset.total_seconds()}
        )


@bp.post("/clock/advance")
def advance_clock() -> Response:
    """Move the emulator's time by ``seconds`` (codes and tokens expire by this clock)."""
    seconds = body().get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise bad_request("seconds must be a number")
    store = emulator().store
    store.advance_clock(float(seconds))
    emulator().webhooks.wake()
    return get_clock()


@bp.get("/settings")
def get_settings() -> Response:
    """Return the behaviour switches."""
    store = emulator().store
    with store.lock:
        return jsonify(store.switches.as_dict())


@bp.patch("/settings")
def update_settings() -> Response:
    """Change behaviour switches by name."""
    state = emulator()
    with state.store.lock:
        state.store.switches.update(body())
    state.webhooks.wake()
    return get_settings()
