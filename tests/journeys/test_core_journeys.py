"""The core journey in Chromium: Acme Bank → kit → Wise → kit → Acme Bank."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.journeys.conftest import JourneyStack
from tests.journeys.pages import AcmeBank, KitPage, WiseAuthorize
from tests.support.waiting import wait_until

pytestmark = pytest.mark.journey


def test_existing_wise_user_links_their_account(acme: AcmeBank, wise_page: WiseAuthorize) -> None:
    acme.log_in("ada@example.com")
    expect(acme.link_status).to_be_visible()
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    expect(acme.link_status).to_have_attribute("data-status", "linked")
    expect(acme.link_status).to_contain_text("personal profile")
    # Each fact once: "connected" is said by the outcome, not again by the link block.
    page_text = acme.page.get_by_role("main").inner_text()
    assert page_text.lower().count("connected") == 1, page_text


def test_new_customer_signs_up_at_wise_with_an_id_photo(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    email = f"lin+{uuid.uuid4().hex[:8]}@example.com"
    acme.log_in("lin@example.com")
    # Lin reads the date of birth Wise must be given from her Acme account page.
    date_of_birth = acme.date_of_birth
    assert date_of_birth == "1992-07-15"
    acme.connect_wise()
    wise_page.sign_up(
        email=email, first_name="Lin", last_name="Chen", date_of_birth=date_of_birth
    ).take_id_photo().two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    created = journey_stack.wise.get_user(email)
    assert created is not None
    assert created["id_document_bytes"] > 0
    assert journey_stack.kit.get_link("c-lin")["profile_id"] == created["profiles"][0]["id"]


def test_customer_who_denies_access_is_told_so(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    # On a shared stack Ada may already be linked from an earlier journey: declining must leave
    # the link exactly as it was.
    before = journey_stack.kit.get_link("c-ada")
    acme.log_in("ada@example.com")
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().deny()
    acme.expect_outcome("declined", "You chose not to connect your Wise account.")
    expect(acme.link_status).to_have_attribute("data-status", before["status"])
    assert journey_stack.kit.get_link("c-ada") == before


def test_date_of_birth_mismatch_is_not_linked(acme: AcmeBank, wise_page: WiseAuthorize) -> None:
    acme.log_in("grace@example.com")
    acme.connect_wise()
    wise_page.log_in("grace@example.com").two_factor().allow()
    acme.expect_outcome("failed", "do not match")
    expect(acme.outcome).to_have_attribute("data-reason", "identity_mismatch")
    expect(acme.link_status).to_have_attribute("data-status", "not_linked")
    # Shown as a problem to act on, like a revoked link: what happened, then what to do.
    refusal = acme.page.get_by_role("alert")
    expect(refusal).to_contain_text("do not match")
    expect(refusal.get_by_test_id("next-step")).to_contain_text("we hold 1985-12-10")


def test_expired_launch_link_shows_a_friendly_page_and_a_way_back(
    page: Page, acme: AcmeBank, kit_page: KitPage, journey_stack: JourneyStack
) -> None:
    acme.log_in("ada@example.com")
    kit = journey_stack.kit
    created = kit.create_session(
        customer__external_id="c-ada",
        return_url=f"{journey_stack.acme_url}/wise/return",
        ttl_seconds=1,
    )
    # Poll the partner API until the one-second link has expired (no fixed sleep).
    wait_until(
        lambda: kit.get_session(created["id"])["status"],
        lambda status: status == "expired",
        what="the launch link to expire",
    )
    response = page.goto(created["launch_url"])
    assert response is not None
    assert response.status == 410
    expect(kit_page.heading).to_have_text("This link is no longer valid")
    kit_page.return_link.click()
    acme.expect_outcome("expired", "The connection link expired.")


def test_a_replayed_callback_shows_the_link_in_this_browser_only(
    page: Page,
    browser: Browser,
    acme: AcmeBank,
    wise_page: WiseAuthorize,
    kit_page: KitPage,
    journey_stack: JourneyStack,
) -> None:
    callbacks: list[str] = []

    def remember(request: Request) -> None:
        if "/oauth/wise/callback" in request.url:
            callbacks.append(request.url)

    page.on("request", remember)
    acme.log_in("ada@example.com")
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "connected")
    assert len(callbacks) == 1
    # Back to the return from Wise, then a reload: the outcome, and the way back to Acme.
    response = page.goto(callbacks[0])
    assert response is not None
    assert response.status == 200
    reloaded = page.reload()
    assert reloaded is not None
    assert reloaded.status == 200
    expect(kit_page.heading).to_have_text("Your Wise account is connected")
    kit_page.back_link.click()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    # Another browser with the same URL learns nothing and links nothing.
    other = browser.new_context()
    try:
        stranger = other.new_page()
        refused = stranger.goto(callbacks[0])
        assert refused is not None
        assert refused.status == 400
        expect(KitPage(stranger, journey_stack.kit_url).message).to_contain_text(
            "already been used"
        )
    finally:
        other.close()
    assert journey_stack.wise.counters()["token_requests"]["authorization_code"] == 1
