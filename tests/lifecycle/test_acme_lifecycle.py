"""Acme Bank's account page: verification status, reconnect, and Wise being unreachable."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from backend.clock import FrozenClock
from sample_app.demo import Stack, StackSecrets, build_stack
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.lifecycle.helpers import LifecycleApi, link_customer, settled
from tests.support.factories import API_KEY, TEST_RETURN_URLS
from tests.support.kit import TIMEOUT


class AcmeBrowser:
    """Acme Bank driven over HTTP with its session cookie and CSRF token."""

    def __init__(self, stack: Stack) -> None:
        self.base = stack.acme_url
        self.http = requests.Session()

    def csrf(self, html: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found is not None
        return found.group(1)

    def log_in(self, email: str) -> str:
        token = self.csrf(self.http.get(self.base + "/", timeout=TIMEOUT).text)
        response = self.http.post(
            self.base + "/login",
            data={"email": email, "password": "acme-demo", "csrf_token": token},
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.text

    def account(self) -> str:
        return self.http.get(self.base + "/account", timeout=TIMEOUT).text

    def check(self) -> requests.Response:
        token = self.csrf(self.account())
        return self.http.post(
            self.base + "/wise/check", data={"csrf_token": token}, timeout=TIMEOUT
        )

    def simulate(self, accept: str = "text/html") -> requests.Response:
        token = self.csrf(self.account())
        return self.http.post(
            self.base + "/wise/simulate-verification",
            data={"csrf_token": token},
            headers={"Accept": accept},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def status(self) -> requests.Response:
        return self.http.get(self.base + "/account/wise-link", timeout=TIMEOUT)


@pytest.fixture
def acme_stack(database_url: str, clock: FrozenClock) -> Iterator[Stack]:
    """The demo stack with Acme holding the partner API key the tests use."""
    running = build_stack(
        database_url=database_url,
        stack_secrets=StackSecrets(api_key=API_KEY),
        kit_overrides={"CLOCK": clock, "ONBOARDING_RETURN_URLS": ",".join(TEST_RETURN_URLS)},
        emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
    )
    yield running
    running.stop()


def test_the_account_page_follows_the_link_lifecycle(acme_stack: Stack) -> None:
    stack = acme_stack
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    linked = link_customer(api, wise, stack, external_id="c-ada")
    acme = AcmeBrowser(stack)
    page = acme.log_in("ada@example.com")
    assert 'data-testid="verification-status"' in page
    assert 'data-status="unknown"' in page
    assert "Check status with Wise" in page
    wise.set_verification(linked.profile_id, "verified")
    checked = acme.check()
    assert checked.status_code == 200  # followed the redirect back to the account
    assert "Checked with Wise just now." in checked.text  # the press visibly did something
    assert 'data-status="verified"' in checked.text
    assert "Checked with Wise just now." not in acme.account()  # said once
    wise.add_fault("POST", "/v3/profiles/*/verification-status/bank-transfer", status=503)
    down = acme.check()
    assert down.status_code == 503
    assert "could not reach Wise" in down.text
    wise.revoke_user(linked.email)
    acme.check()
    page = acme.account()
    assert 'data-status="reauthorization_required"' in page
    assert "Reconnect your Wise account" in page
    assert "Check status with Wise" not in page
    # Ada has a Wise account (Acme was connected to it): no offer to create another one.
    assert "Create a Wise account with your Acme details" not in page


def test_simulate_verification_and_the_status_the_page_polls(acme_stack: Stack) -> None:
    stack = acme_stack
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    link_customer(api, wise, stack, external_id="c-ada")
    acme = AcmeBrowser(stack)
    assert acme.status().status_code == 401  # not logged in
    page = acme.log_in("ada@example.com")
    assert "Simulate verification" in page
    assert 'src="/static/account.js"' in page
    assert (
        "script-src 'self'"
        in acme.http.get(stack.acme_url + "/account").headers["Content-Security-Policy"]
    )
    simulated = acme.simulate()
    assert simulated.status_code == 303  # the form without the page's script
    assert simulated.headers["Location"].endswith("/account")
    assert "Wise is verifying your profile." in acme.account()
    # The page's script posts the same form for JSON and stays on the page.
    in_place = acme.simulate(accept="application/json")
    assert in_place.status_code == 202
    assert in_place.json() == {
        "message": "Wise is verifying your profile. This page updates when Wise tells us.",
        "problem": None,
    }
    assert acme.status().json()["verification_status"] == "unknown"  # Wise has not told us yet
    assert [a["status_code"] for a in wise.flush_webhooks()] == [200, 200]
    settled(stack)
    assert acme.status().json() == {
        "status": "linked",
        "verification_status": "verified",
        "verification_text": "Wise has verified your identity.",
        "problem": None,
    }
    assert "Simulate verification" not in acme.account()


def test_the_account_page_says_when_wise_restricts_or_closes_the_account(
    acme_stack: Stack,
) -> None:
    stack = acme_stack
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    link_customer(api, wise, stack, external_id="c-ada")
    acme = AcmeBrowser(stack)
    assert 'data-testid="wise-user-state"' not in acme.log_in("ada@example.com")
    wise.set_user_state("ada@example.com", "WITHDRAW_ONLY", deactivation_type="ACCOUNT_SUSPENSION")
    wise.flush_webhooks()
    settled(stack)
    page = acme.account()
    assert 'data-state="WITHDRAW_ONLY"' in page
    assert "you can only take money out of it now" in page
    wise.set_user_state("ada@example.com", "DEACTIVATED", deactivation_type="ACCOUNT_CLOSURE")
    wise.flush_webhooks()
    settled(stack)
    page = acme.account()
    assert 'data-state="DEACTIVATED"' in page
    assert "Wise has closed your Wise account." in page


def test_the_kyc_return_page_shows_only_the_customers_own_reviews(acme_stack: Stack) -> None:
    stack = acme_stack
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    linked = link_customer(api, wise, stack, external_id="c-ada")
    review = wise.create_kyc_review(linked.profile_id)
    wise.flush_webhooks()
    settled(stack)
    acme = AcmeBrowser(stack)
    page = acme.log_in("ada@example.com")
    assert 'data-testid="kyc-review" data-status="WAITING_CUSTOMER_INPUT"' in page
    assert "Continue with Wise" in page
    mine = acme.http.get(
        f"{acme.base}/wise/kyc-return",
        params={"kyc_review_id": review["id"], "status": "closed"},
        timeout=TIMEOUT,
    )
    assert mine.status_code == 200
    assert "Wise still needs this information." in mine.text
    someone_elses = acme.http.get(
        f"{acme.base}/wise/kyc-return",
        params={"kyc_review_id": "0b9d2a7e-0000-4000-8000-000000000000", "status": "success"},
        timeout=TIMEOUT,
    )
    assert someone_elses.status_code == 404
