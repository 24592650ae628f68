"""The access-token endpoint: fresh tokens as they are, due tokens refreshed first, bad inputs."""

from __future__ import annotations

import pytest
import requests

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    MARGIN_SECONDS,
    LifecycleApi,
    Linked,
    link_row,
    refreshes,
    stored_tokens,
    wise_accepts,
)
from tests.support.kit import TIMEOUT


def make_due(clock: FrozenClock) -> None:
    """Move the kit's clock to one second inside the refresh margin."""
    clock.advance(ACCESS_TOKEN_SECONDS - MARGIN_SECONDS + 1)


def test_a_fresh_token_is_returned_without_asking_wise(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack, database_url: str, linked: Linked
) -> None:
    response = api.access_token()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_at"}
    access, _ = stored_tokens(stack, database_url)
    assert body["access_token"] == access
    assert wise_accepts(stack, body["access_token"], linked.profile_id)
    assert refreshes(wise) == 0
    assert response.headers["Cache-Control"] == "no-store"


def test_a_token_within_the_margin_is_refreshed_first(
    api: LifecycleApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
) -> None:
    old_access, old_refresh = stored_tokens(stack, database_url)
    clock.advance(ACCESS_TOKEN_SECONDS - MARGIN_SECONDS - 1)
    assert api.token_value() == old_access  # one second outside the margin: still fresh
    assert refreshes(wise) == 0
    clock.advance(2)
    response = api.access_token()
    assert response.status_code == 200
    new_access = response.json()["access_token"]
    assert new_access != old_access
    assert refreshes(wise) == 1
    # Wise invalidates the previous access token on refresh; the kit hands out the new one.
    assert not wise_accepts(stack, old_access, linked.profile_id)
    assert wise_accepts(stack, new_access, linked.profile_id)
    assert stored_tokens(stack, database_url) == (new_access, old_refresh)
    row = link_row(database_url)
    assert row["refresh_lease_owner"] is None
    # The next call finds the new token fresh.
    assert api.token_value() == new_access
    assert refreshes(wise) == 1


def test_a_rotated_refresh_token_is_stored_with_the_access_token(
    api: LifecycleApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
) -> None:
    wise.update_settings(refresh_token_rotation=True)
    _, old_refresh = stored_tokens(stack, database_url)
    make_due(clock)
    first = api.token_value()
    access, refresh = stored_tokens(stack, database_url)
    assert access == first
    assert refresh != old_refresh
    # The emulator retired the old refresh token: a second refresh only works with the new one.
    make_due(clock)
    second = api.token_value()
    assert second != first
    assert refreshes(wise) == 2
    assert wise_accepts(stack, second, linked.profile_id)


def test_a_rejected_token_is_refreshed_even_when_it_looks_fresh(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack, linked: Linked
) -> None:
    current = api.token_value()
    response = api.access_token(json_body={"rejected_access_token": current})
    assert response.status_code == 200
    renewed = response.json()["access_token"]
    assert renewed != current
    assert refreshes(wise) == 1
    # A caller still holding the old token gets the current one without another refresh.
    again = api.access_token(json_body={"rejected_access_token": current})
    assert again.json()["access_token"] == renewed
    assert refreshes(wise) == 1


def test_the_margin_is_a_setting(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack, linked: Linked
) -> None:
    settings = runtime_of(stack.kit_app).settings
    assert settings.token_refresh_margin_seconds == MARGIN_SECONDS


def test_an_unknown_customer_has_no_token(api: LifecycleApi, linked: Linked) -> None:
    response = api.access_token("c-404")
    assert response.status_code == 404
    assert response.json()["error"] == "not_linked"


@pytest.mark.parametrize(
    ("external_id", "field"),
    [("a" * 129, "external_id"), ("bad id", "external_id"), ("%C3%A9t%C3%A9", "external_id")],
)
def test_a_malformed_customer_id_is_refused(
    api: LifecycleApi, linked: Linked, external_id: str, field: str
) -> None:
    for response in (api.access_token(external_id), api.link(external_id), api.unlink(external_id)):
        assert response.status_code == 400
        assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"json_body": {"rejected_access_token": 5}}, "rejected_access_token"),
        ({"json_body": {"other": "x"}}, "other"),
        ({"data": "not json", "headers": {"Content-Type": "text/plain"}}, "Content-Type"),
    ],
)
def test_a_malformed_body_is_refused(
    api: LifecycleApi, linked: Linked, kwargs: dict[str, object], field: str
) -> None:
    response = api.access_token(**kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_the_token_endpoint_needs_the_partner_key_and_a_post(
    api: LifecycleApi, stack: Stack, linked: Linked
) -> None:
    url = f"{stack.kit_url}/api/v1/customers/c-123/wise-link/access-token"
    assert requests.post(url, timeout=TIMEOUT).status_code == 401
    wrong = requests.post(url, headers={"Authorization": "Bearer nope"}, timeout=TIMEOUT)
    assert wrong.status_code == 401
    assert api.http.get(url, timeout=TIMEOUT).status_code == 405
    assert api.http.put(url, timeout=TIMEOUT).status_code == 405
