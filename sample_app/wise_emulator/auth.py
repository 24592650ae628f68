"""Bearer-token checks shared by the API blueprints."""

from __future__ import annotations

from flask import request

from .errors import forbidden, invalid_token, profile_not_found, unauthenticated
from .models import AccessToken, Profile, User
from .state import emulator


def bearer_token() -> AccessToken:
    """Return the live access token of this request, or raise Wise's 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise unauthenticated()
    token = emulator().store.live_access_token(value)
    if token is None:
        raise invalid_token(value)
    return token


def user_token() -> tuple[AccessToken, User]:
    """Return the token and its user; application tokens get a 403."""
    token = bearer_token()
    store = emulator().store
    with store.lock:
        user = store.users.get(token.user_id) if token.user_id is not None else None
    if user is None:
        raise forbidden("This endpoint needs a user access token")
    return token, user


def application_token() -> AccessToken:
    """Return a client-credentials token; user tokens get a 403."""
    token = bearer_token()
    if token.user_id is not None:
        raise forbidden("This endpoint needs a client credentials token")
    return token


def can_see(token: AccessToken, profile: Profile) -> bool:
    """Tell whether a user token may read ``profile``.

    Tokens from an authorization code cover only the profile the customer chose at consent;
    tokens from a registration code cover every profile of their user.
    """
    if token.user_id is None or profile.user_id != token.user_id:
        return False
    return token.profile_ids is None or profile.id in token.profile_ids


def granted_profile(token: AccessToken, profile_id: int) -> Profile:
    """Return a profile this user token may use: 404 if unknown, 403 (a switch) if not granted."""
    store = emulator().store
    with store.lock:
        profile = store.profiles.get(profile_id)
        status = store.switches.ungranted_profile_status
    if profile is None:
        raise profile_not_found(profile_id)
    if not can_see(token, profile):
        if status == 404:
            raise profile_not_found(profile_id)
        error = forbidden("This token has no access to this profile")
        error.status = status
        raise error
    return profile


def accessible_profile(token: AccessToken, profile_id: int) -> Profile:
    """Like ``granted_profile``, but an application token may act on any profile (simulation)."""
    if token.user_id is not None:
        return granted_profile(token, profile_id)
    store = emulator().store
    with store.lock:
        profile = store.profiles.get(profile_id)
    if profile is None:
        raise profile_not_found(profile_id)
    return profile
