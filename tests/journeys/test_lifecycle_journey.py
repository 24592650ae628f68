"""Keeping the link alive, in Chromium: verified by Wise (simulated from Acme), revoked at Wise,
reconnected."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from sample_app.wise_emulator import EmulatorControl
from tests.journeys.conftest import JourneyStack
from tests.journeys.pages import AcmeBank, WiseAuthorize
from tests.support.waiting import wait_until

pytestmark = pytest.mark.journey


def verification_deliveries(wise: EmulatorControl, profile_id: int) -> list[dict[str, Any]]:
    """Wise's verification webhooks about ``profile_id``, after sending any still queued."""
    wise.flush_webhooks()
    return [
        d
        for d in wise.deliveries()
        if d["event_type"] == "profiles#verification-state-change"
        and d["body"]["data"]["resource"]["id"] == profile_id
    ]


def checked_since_linked(link: dict[str, Any]) -> bool:
    """Whether the kit has asked Wise for the link's verification since it was (re)linked."""
    checked, linked = link.get("verification_checked_at"), link.get("linked_at")
    if not checked or not linked:
        return False
    return datetime.fromisoformat(checked) >= datetime.fromisoformat(linked)


def test_verification_then_revocation_then_reconnect(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    wise, kit = journey_stack.wise, journey_stack.kit
    acme.log_in("ada@example.com")
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    # The kit asks Wise right after the link (its worker does). On a shared stack the link may
    # still show what an earlier journey left for this profile until then, so the page is opened
    # once the kit has asked: not verified yet.
    wait_until(
        lambda: kit.get_link("c-ada"),
        lambda link: checked_since_linked(link),
        timeout=15,
        what="the kit's verification check right after the link",
    )
    acme.open_account()
    expect(acme.verification).to_have_attribute("data-status", "not_verified")

    # Ada asks for the sandbox's simulated verification: Acme asks the kit, the kit asks Wise,
    # and Wise tells the kit by webhook a moment later. A marker on the page's window before the
    # press proves the page is never reloaded (a reload would drop it).
    profile_id = kit.get_link("c-ada")["profile_id"]
    acme.page.evaluate("() => { window.notReloaded = true; }")
    acme.simulate_verification()
    # An emulator may queue deliveries until flushed, or deliver on its own as the demo's does.
    # Either way Wise's verification event must reach the kit and be accepted.
    wait_until(
        lambda: verification_deliveries(wise, profile_id),
        lambda found: any(d["state"] == "delivered" for d in found),
        timeout=15,
        what="Wise's verification webhook to be accepted by the kit",
    )
    # Acme's page follows the change by itself: no reload, no navigation.
    expect(acme.verification).to_have_attribute("data-status", "verified", timeout=15_000)
    expect(acme.verification).to_have_text("Wise has verified your identity.")
    assert acme.page.evaluate("() => window.notReloaded === true")
    assert kit.get_link("c-ada")["verification_status"] == "verified"
    expect(acme.page.get_by_role("button", name="Simulate verification")).to_have_count(0)

    # "Check status with Wise" says that it checked, even when nothing changed.
    acme.check_with_wise()
    expect(acme.notice).to_have_text("Checked with Wise just now.")

    # Ada revokes Acme's access at Wise. The kit learns it the next time it uses her token:
    # here when Acme asks it to check with Wise.
    wise.revoke_user("ada@example.com")
    acme.check_with_wise()
    expect(acme.page).to_have_url(re.compile(re.escape(acme.base_url) + "/account"))
    expect(acme.link_status).to_have_attribute("data-status", "reauthorization_required")
    revoked = acme.link_status.get_by_role("alert")
    expect(revoked.get_by_test_id("next-step")).to_have_text(
        "Reconnect your Wise account to keep using it."
    )
    # She has a Wise account: Acme offers to reconnect it, not to create a new one.
    expect(
        acme.page.get_by_role("button", name="Create a Wise account with your Acme details")
    ).to_have_count(0)

    acme.reconnect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    expect(acme.link_status).to_have_attribute("data-status", "linked")
    # Same Wise profile as before: its verification carries over, and it is not a new account.
    expect(acme.verification).to_have_attribute("data-status", "verified")
    link = kit.get_link("c-ada")
    assert link["account_changed"] is False
    assert link["profile_id"] == profile_id
