"""Authorization codes, claim codes and the four token grants, on top of the store."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from .config import RegisteredClient
from .errors import ApiError, oauth_error
from .models import AccessToken, AuthCode, ClaimCode, RefreshToken
from .store import Store, secret_matches

REFRESH_TOKEN_SECONDS = 20 * 365 * 24 * 3600  # "up to 20 years"
AUTH_CODE_SECONDS = 30 * 60
CLAIM_CODE_SECONDS = 5 * 60
SCOPE = "transfers"


def iso_millis(moment: datetime) -> str:
    """Format like Wise's ``expires_at``: ``2025-04-11T03:43:28.148Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_nanos(moment: datetime) -> str:
    """Format like Wise's ``created_at``: nine fractional digits."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def iso_seconds(moment: datetime) -> str:
    """Format like Wise's webhook timestamps: ``2020-01-01T12:34:56Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def invalid_grant(description: str, status: int = 400) -> ApiError:
    """Build the token endpoint's invalid_grant error."""
    return oauth_error(status, "invalid_grant", description)


# -- codes -----------------------------------------------------------------------------------------


def issue_auth_code(
    store: Store, *, client_id: str, redirect_uri: str, user_id: int, profile_id: int | None
) -> str:
    """Issue a single-use authorization code valid for 30 minutes."""
    code = secrets.token_urlsafe(24)
    with store.lock:
        store.auth_codes[code] = AuthCode(
            code=code,
            client_id=client_id,
            redirect_uri=redirect_uri,
            user_id=user_id,
            profile_id=profile_id,
            expires_at=store.now() + timedelta(seconds=AUTH_CODE_SECONDS),
        )
        if profile_id is not None:
            store.profiles[profile_id].linked_client_ids.add(client_id)
        store.count("created", "authorization_codes")
    return code


def issue_claim_code(store: Store, *, user_id: int, client_id: str) -> str:
    """Issue a claim_account_code valid for 5 minutes."""
    code = str(uuid.uuid4())
    with store.lock:
        store.claim_codes[code] = ClaimCode(
            code=code,
            user_id=user_id,
            client_id=client_id,
            expires_at=store.now() + timedelta(seconds=CLAIM_CODE_SECONDS),
        )
        store.count("created", "claim_account_codes")
    return code


def take_claim_code(store: Store, *, code: str, client_id: str) -> ClaimCode | None:
    """Consume a live claim code issued to ``client_id``; None when unknown, used or expired."""
    with store.lock:
        found = store.claim_codes.get(code)
        if found is None or found.client_id != client_id or found.expires_at <= store.now():
            return None
        del store.claim_codes[code]
        return found


def expire_claim_codes(store: Store) -> int:
    """Make every outstanding claim code expired now; return how many there were."""
    with store.lock:
        for claim in store.claim_codes.values():
            claim.expires_at = store.now()
        return len(store.claim_codes)


# -- tokens ----------------------------------------------------------------------------------------


def _new_access_token(
    store: Store,
    *,
    client_id: str,
    grant: str,
    user_id: int | None,
    profile_ids: frozenset[int] | None,
    refresh_token: str | None,
) -> AccessToken:
    now = store.now()
    token = AccessToken(
        value=str(uuid.uuid4()),
        client_id=client_id,
        grant=grant,
        created_at=now,
        expires_at=now + timedelta(seconds=store.switches.access_token_lifetime_seconds),
        user_id=user_id,
        profile_ids=profile_ids,
        refresh_token=refresh_token,
    )
    store.access_tokens[token.value] = token
    store.counters["tokens_issued"][grant] += 1
    return token


def _lifetime(token: AccessToken) -> int:
    """The token's ``expires_in`` as issued (43199 unless the lifetime switch says otherwise)."""
    return int((token.expires_at - token.created_at).total_seconds())


def _access_fields(token: AccessToken) -> dict[str, Any]:
    return {
        "access_token": token.value,
        "token_type": "bearer",
        "expires_in": _lifetime(token),
        "expires_at": iso_millis(token.expires_at),
        "scope": SCOPE,
    }


def _user_token_response(store: Store, access: AccessToken, refresh: RefreshToken) -> dict:
    remaining = int((refresh.expires_at - store.now()).total_seconds())
    return {
        "access_token": access.value,
        "token_type": "bearer",
        "refresh_token": refresh.value,
        "expires_in": _lifetime(access),
        "expires_at": iso_millis(access.expires_at),
        "refresh_token_expires_in": remaining,
        "refresh_token_expires_at": iso_millis(refresh.expires_at),
        "scope": SCOPE,
        "created_at": iso_nanos(access.created_at),
    }


def _new_user_tokens(
    store: Store, *, client_id: str, grant: str, user_id: int, profile_ids: frozenset[int] | None
) -> dict:
    refresh = RefreshToken(
        value=str(uuid.uuid4()),
        client_id=client_id,
        user_id=user_id,
        grant=grant,
        profile_ids=profile_ids,
        expires_at=store.now() + timedelta(seconds=REFRESH_TOKEN_SECONDS),
    )
    access = _new_access_token(
        store,
        client_id=client_id,
        grant=grant,
        user_id=user_id,
        profile_ids=profile_ids,
        refresh_token=refresh.value,
    )
    refresh.access_token = access.value
    store.refresh_tokens[refresh.value] = refresh
    return _user_token_response(store, access, refresh)


def client_credentials_grant(store: Store, client: RegisteredClient) -> dict:
    """Issue an application token (no refresh token)."""
    with store.lock:
        token = _new_access_token(
            store,
            client_id=client.client_id,
            grant="client_credentials",
            user_id=None,
            profile_ids=None,
            refresh_token=None,
        )
        return _access_fields(token)


def authorization_code_grant(store: Store, client: RegisteredClient, form: dict[str, str]) -> dict:
    """Redeem an authorization code; the code is gone after the first attempt, right or wrong."""
    code = form.get("code", "")
    if not code:
        raise oauth_error(400, "invalid_request", "Missing authorization code")
    with store.lock:
        # Popping under the lock makes redemption single-use even under concurrent requests.
        found = store.auth_codes.pop(code, None)
        if found is None or found.client_id != client.client_id:
            raise invalid_grant("Invalid authorization code")
        if found.expires_at <= store.now():
            raise invalid_grant("Authorization code has expired")
        if form.get("client_id", client.client_id) != client.client_id:
            raise invalid_grant("Client id does not match the authenticated client")
        if form.get("redirect_uri") != found.redirect_uri:
            raise invalid_grant("Redirect URI mismatch.")
        profile_ids = frozenset() if found.profile_id is None else frozenset({found.profile_id})
        return _new_user_tokens(
            store,
            client_id=client.client_id,
            grant="authorization_code",
            user_id=found.user_id,
            profile_ids=profile_ids,
        )


def refresh_token_grant(store: Store, client: RegisteredClient, form: dict[str, str]) -> dict:
    """Issue a new access token from a refresh token and retire the previous access token."""
    value = form.get("refresh_token", "")
    if not value:
        raise oauth_error(400, "invalid_request", "Missing refresh token")
    with store.lock:
        switches = store.switches
        refresh = store.refresh_tokens.get(value)
        if refresh is None and value in store.revoked_refresh_tokens:
            raise invalid_grant("Invalid refresh token", switches.revoked_refresh_status)
        if refresh is None or refresh.client_id != client.client_id:
            raise invalid_grant("Invalid refresh token")
        if refresh.expires_at <= store.now():
            raise invalid_grant("Refresh token expired")
        if refresh.access_token is not None:
            # "the previous access token is immediately invalidated"
            store.access_tokens.pop(refresh.access_token, None)
        if switches.refresh_token_rotation:
            del store.refresh_tokens[refresh.value]
            refresh = RefreshToken(
                value=str(uuid.uuid4()),
                client_id=refresh.client_id,
                user_id=refresh.user_id,
                grant=refresh.grant,
                profile_ids=refresh.profile_ids,
                expires_at=refresh.expires_at,
            )
            store.refresh_tokens[refresh.value] = refresh
        access = _new_access_token(
            store,
            client_id=client.client_id,
            grant="refresh_token",
            user_id=refresh.user_id,
            profile_ids=refresh.profile_ids,
            refresh_token=refresh.value,
        )
        refresh.access_token = access.value
        return _user_token_response(store, access, refresh)


def registration_code_grant(store: Store, client: RegisteredClient, form: dict[str, str]) -> dict:
    """Issue a user token for a partner-created account until the customer claims it."""
    with store.lock:
        status = store.switches.registration_code_invalid_status
        user = store.user_by_email(form.get("email", ""))
        valid = (
            user is not None
            and not user.claimed
            and user.created_by_client_id == client.client_id
            and form.get("client_id", client.client_id) == client.client_id
            and secret_matches(form.get("registration_code", ""), user.registration_code_hash)
        )
        if user is None or not valid:
            raise invalid_grant("Invalid user credentials.", status)
        return _new_user_tokens(
            store,
            client_id=client.client_id,
            grant="registration_code",
            user_id=user.id,
            profile_ids=None,
        )
