"""Keeping the link alive, in Chromium: verified by Wise (simulated from Acme), revoked at Wise,
reconnected."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journeys.conftest import JourneyStack
from tests.journeys.pages import AcmeBank, WiseAuthorize

pytestmark = pytest.mark.journey


def test_verification_then_revocation_then_reconnect(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    wise, kit = journey_stack.wise, journey_stack.kit
    acme.log_in("ada@example.com")
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    acme.open_account()
    expect(acme.verification).to_have_attribute("data-status", "unknown")

    # Ada asks for the sandbox's simulated verification: Acme asks the kit, the kit asks Wise,
    # and Wise tells the kit by webhook a moment later.
    profile_id = kit.get_link("c-ada")["profile_id"]
    acme.simulate_verification()
    acme.page.evaluate("() => { window.notReloaded = true; }")
    # A stack started for this test queues deliveries until flushed; a running demo delivers on
    # its own. Either way the kit's answer is what counts.
    assert all(a["status_code"] == 200 for a in wise.flush_webhooks())
    # Acme's page follows the change by itself: no reload, no navigation.
    expect(acme.verification).to_have_attribute("data-status", "verified", timeout=15_000)
    expect(acme.verification).to_contain_text("verified")
    assert acme.page.evaluate("() => window.notReloaded === true")
    assert kit.get_link("c-ada")["verification_status"] == "verified"
    expect(acme.page.get_by_role("button", name="Simulate verification")).to_have_count(0)

    # Ada revokes Acme's access at Wise. The kit learns it the next time it uses her token:
    # here when Acme asks it to check with Wise.
    wise.revoke_user("ada@example.com")
    acme.check_with_wise()
    expect(acme.page).to_have_url(re.compile(re.escape(acme.base_url) + "/account"))
    expect(acme.link_status).to_have_attribute("data-status", "reauthorization_required")
    expect(acme.link_status).to_contain_text("Reconnect your Wise account")

    acme.reconnect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    expect(acme.link_status).to_have_attribute("data-status", "linked")
    # Same Wise profile as before: its verification carries over, and it is not a new account.
    expect(acme.verification).to_have_attribute("data-status", "verified")
    link = kit.get_link("c-ada")
    assert link["account_changed"] is False
    assert link["profile_id"] == profile_id
