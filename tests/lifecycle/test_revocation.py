"""Revoked grants versus transient failures at Wise's token endpoint.

400 ``invalid_grant``, 401 or 403 on refresh: the link needs reauthorization, its tokens are
erased and an event is recorded. 5xx, 429 and timeouts: nothing changes, callers get 503.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backend.clock import FrozenClock
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.conftest import stack_with
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    LifecycleApi,
    Linked,
    link_customer,
    link_row,
    query,
    refreshes,
    stored_tokens,
)

TOKEN_PATH = "/oauth/token"


def make_due(clock: FrozenClock) -> None:
    clock.advance(ACCESS_TOKEN_SECONDS)


def assert_revoked(api: LifecycleApi, database_url: str) -> None:
    row = link_row(database_url)
    assert row["status"] == "reauthorization_required"
    for column in (
        "access_token_ciphertext",
        "refresh_token_ciphertext",
        "access_token_expires_at",
        "refresh_lease_owner",
    ):
        assert row[column] is None, column
    events = query(database_url, "SELECT event, detail FROM wise_link_event ORDER BY id")
    assert events[-1]["event"] == "reauthorization_required"
    link = api.link().json()
    assert link["status"] == "reauthorization_required"
    assert link["profile_id"] is not None


def assert_untouched(stack: Stack, database_url: str, before: tuple[str, str]) -> None:
    row = link_row(database_url)
    assert row["status"] == "linked"
    assert row["refresh_lease_owner"] is None
    assert stored_tokens(stack, database_url) == before


@pytest.mark.parametrize("how", ["revoke", "change_email"])
def test_a_revoked_grant_makes_the_link_need_reauthorization(
    api: LifecycleApi,
    wise: EmulatorControl,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
    how: str,
) -> None:
    if how == "revoke":
        wise.revoke_user(linked.email)
    else:
        wise.change_email(linked.email, "ada.new@example.com")
    make_due(clock)
    response = api.access_token()
    assert response.status_code == 409
    assert response.json()["error"] == "reauthorization_required"
    assert_revoked(api, database_url)
    # Later callers are told at once, without asking Wise again.
    assert api.access_token().status_code == 409
    assert refreshes(wise) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}),
        (401, {"error": "invalid_grant", "error_description": "Invalid user credentials."}),
        (401, {"error": "unauthorized", "error_description": "Full authentication required"}),
        (403, {"error": "invalid_grant", "error_description": "Invalid refresh token"}),
        (403, {"error": "access_denied"}),
    ],
)
def test_refusals_that_mean_revocation(
    api: LifecycleApi,
    wise: EmulatorControl,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
    status: int,
    body: dict[str, Any],
) -> None:
    wise.add_fault("POST", TOKEN_PATH, status=status, body=body, grant_type="refresh_token")
    make_due(clock)
    assert api.access_token().status_code == 409
    assert_revoked(api, database_url)


def test_the_emulators_revoked_status_400_is_a_revocation_too(
    api: LifecycleApi, wise: EmulatorControl, database_url: str, linked: Linked, clock: FrozenClock
) -> None:
    wise.update_settings(revoked_refresh_status=400)
    wise.revoke_user(linked.email)
    make_due(clock)
    assert api.access_token().status_code == 409
    assert_revoked(api, database_url)


@pytest.mark.parametrize(
    ("status", "body", "retry_after"),
    [
        (500, None, "5"),
        (502, None, "5"),
        (503, None, "5"),
        (429, None, "5"),
        # Not the user's grant: our client credentials, or a malformed request. Not revocations.
        (401, {"error": "invalid_client", "error_description": "Bad client credentials"}, "5"),
        (400, {"error": "invalid_request", "error_description": "Missing refresh token"}, "5"),
    ],
)
def test_transient_and_foreign_errors_keep_the_tokens(
    api: LifecycleApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
    status: int,
    body: dict[str, Any] | None,
    retry_after: str,
) -> None:
    before = stored_tokens(stack, database_url)
    wise.add_fault("POST", TOKEN_PATH, status=status, body=body, grant_type="refresh_token")
    make_due(clock)
    response = api.access_token()
    assert response.status_code == 503
    assert response.json()["error"] == "wise_unavailable"
    assert response.headers["Retry-After"] == retry_after
    assert_untouched(stack, database_url, before)
    # The fault is gone: the next call refreshes.
    assert api.access_token().status_code == 200
    assert refreshes(wise) == 2


@pytest.fixture
def impatient_stack(database_url: str, clock: FrozenClock) -> Iterator[Stack]:
    """A kit that waits at most half a second for Wise to answer."""
    running = stack_with(database_url, clock, ONBOARDING_WISE_READ_TIMEOUT="0.5")
    yield running
    running.stop()


def test_a_timeout_is_transient(
    impatient_stack: Stack, database_url: str, clock: FrozenClock
) -> None:
    api, wise = LifecycleApi(impatient_stack.kit_url), EmulatorControl(impatient_stack.emulator_url)
    link_customer(api, wise, impatient_stack)
    before = stored_tokens(impatient_stack, database_url)
    fault = wise.add_fault("POST", TOKEN_PATH, status=None, hold=True, grant_type="refresh_token")
    make_due(clock)
    try:
        response = api.access_token()  # Wise never answers: the kit's own timeout ends it
    finally:
        wise.release_fault(fault["id"])
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert_untouched(impatient_stack, database_url, before)


def test_a_transient_error_is_never_taken_for_a_revocation(
    api: LifecycleApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
) -> None:
    """Revoked at Wise, but Wise is down first: the link stays linked until Wise says so."""
    before = stored_tokens(stack, database_url)
    wise.revoke_user(linked.email)
    wise.add_fault("POST", TOKEN_PATH, status=503, count=2, grant_type="refresh_token")
    make_due(clock)
    assert api.access_token().status_code == 503
    assert api.access_token().status_code == 503
    assert_untouched(stack, database_url, before)
    assert api.link().json()["status"] == "linked"
    assert api.access_token().status_code == 409
    assert_revoked(api, database_url)


def test_the_kit_learns_of_a_revocation_when_it_next_uses_the_token(
    api: LifecycleApi, wise: EmulatorControl, database_url: str, linked: Linked
) -> None:
    """The token still looks fresh; Wise refuses it (401), the refresh says 403: reauthorize."""
    wise.revoke_user(linked.email)
    assert api.access_token().status_code == 200  # nothing told the kit yet
    response = api.link(refresh="verification")
    assert response.status_code == 409
    assert response.json()["error"] == "reauthorization_required"
    assert_revoked(api, database_url)
