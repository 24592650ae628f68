"""Wise's error redirect with and without ``state``: Wise does not say which it sends.

The emulator's ``deny_includes_state`` switch picks one; the customer denies on the emulator's
real pages, and the browser (with or without its binding cookie) comes back to the kit.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.support.factories import RETURN_URL
from tests.support.kit import TIMEOUT, KitApi, Launched


def deny_at_wise(launched: Launched, email: str = "ada@example.com") -> dict[str, str]:
    """Log in on Wise's pages and press Deny; return the query Wise sends back to the kit."""
    browser = requests.Session()
    login = browser.get(launched.authorize_url, timeout=TIMEOUT)
    base = f"{urlsplit(login.url).scheme}://{urlsplit(login.url).netloc}"
    browser.post(
        f"{base}/oauth/authorize/login",
        data={"email": email, "password": "wise-demo"},
        timeout=TIMEOUT,
    )
    browser.post(f"{base}/oauth/authorize/2fa", data={"code": "111111"}, timeout=TIMEOUT)
    denied = browser.post(
        f"{base}/oauth/authorize/consent",
        data={"decision": "deny"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert denied.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(denied.headers["Location"]).query).items()}


@pytest.mark.parametrize("with_state", [True, False])
def test_a_denial_ends_the_session_as_declined_either_way(
    kit: KitApi, wise: EmulatorControl, stack: Stack, with_state: bool
) -> None:
    wise.update_settings(deny_includes_state=with_state)
    created = kit.create_session()
    launched = kit.launch(created["launch_url"], created["id"])
    params = deny_at_wise(launched)
    assert ("state" in params) is with_state
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(RETURN_URL + "?")
    assert parse_qs(urlsplit(location).query) == {
        "session_id": [created["id"]],
        "status": ["declined"],
    }
    session = kit.get_session(created["id"])
    assert (session["status"], session["wise_error"]) == ("declined", "access_denied")
    # The browser cannot end it a second time.
    again = kit.callback(params, launched.cookies)
    assert again.status_code == 400


def test_another_error_without_state_fails_the_session_of_this_browser(
    kit: KitApi, stack: Stack
) -> None:
    created = kit.create_session()
    launched = kit.launch(created["launch_url"], created["id"])
    other = kit.create_session(customer__external_id="c-other")
    other_launch = kit.launch(other["launch_url"], other["id"])
    response = kit.callback({"error": "server_error"}, launched.cookies)
    assert response.status_code == 303
    session = kit.get_session(created["id"])
    assert (session["status"], session["failure_reason"], session["wise_error"]) == (
        "failed",
        "wise_error",
        "server_error",
    )
    # Another browser's launch is untouched.
    assert kit.get_session(other_launch.session_id)["status"] == "launched"


@pytest.mark.parametrize("cookies", [None, {"wise_onboarding": "not-this-browsers-binding-x"}])
def test_without_state_or_a_known_browser_the_customer_gets_a_clear_page(
    kit: KitApi, wise: EmulatorControl, stack: Stack, cookies: dict[str, str] | None
) -> None:
    wise.update_settings(deny_includes_state=False)
    created = kit.create_session()
    launched = kit.launch(created["launch_url"], created["id"])
    params = deny_at_wise(launched)
    response = kit.callback(params, cookies)
    assert response.status_code == 400
    assert "text/html" in response.headers["Content-Type"]
    page = response.text
    assert "You chose not to connect your Wise account" in page
    assert "could not tell which sign-in this was" in page
    assert kit.get_session(created["id"])["status"] == "launched"


def test_a_code_without_state_is_never_accepted_even_from_the_launching_browser(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    created = kit.create_session()
    launched = kit.launch(created["launch_url"], created["id"])
    granted = wise.authorize(
        "acme-bank-demo", f"{stack.kit_url}/oauth/wise/callback", "ada@example.com"
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
    assert "state" not in params
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 400
    assert wise.counters()["token_requests"].get("authorization_code", 0) == 0
    assert kit.get_session(created["id"])["status"] == "launched"
