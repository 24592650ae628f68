"""Hosted KYC in Chromium: Wise needs more from Ada, Acme sends her to Wise's page and back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journeys.conftest import JourneyStack
from tests.journeys.hosted_kyc import approve_in_sandbox, kit_reviews, review_status
from tests.journeys.pages import AcmeBank, WiseAuthorize
from tests.support.waiting import wait_until

pytestmark = pytest.mark.journey


def test_wise_needs_more_information_and_ada_gives_it_on_wises_page(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    wise, kit = journey_stack.wise, journey_stack.kit
    acme.log_in("ada@example.com")
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    acme.open_account()
    expect(acme.kyc_review).to_have_count(0)

    # Ada's first transfer makes Wise ask for more (Hosted KYC); Wise tells the kit by webhook.
    profile_id = kit.get_link("c-ada")["profile_id"]
    review = wise.create_kyc_review(profile_id)
    # On a shared stack Ada may have older, finished reviews: this journey follows its own.
    wait_until(
        lambda: review_status(journey_stack, review["id"]),
        lambda status: status == "WAITING_CUSTOMER_INPUT",
        timeout=15,
        what="the kit to learn that Wise waits for Ada",
    )
    acme.open_account()
    expect(acme.kyc_review).to_have_attribute("data-status", "WAITING_CUSTOMER_INPUT")
    expect(acme.kyc_review.get_by_role("heading")).to_have_text("Wise needs more information")

    acme.continue_with_wise()
    needed = wise_page.expect_kyc_page()
    expect(needed).to_contain_text("A photo of your ID document and a selfie")
    wise_page.submit_kyc()

    expect(acme.page).to_have_url(re.compile(re.escape(acme.base_url) + "/wise/kyc-return"))
    expect(acme.kyc_outcome).to_have_attribute("data-status", "success")
    expect(acme.kyc_outcome).to_have_text("Thank you. Wise is checking the information you gave.")
    # Wise's webhook says it is processing what Ada gave; Acme says so.
    wait_until(
        lambda: review_status(journey_stack, review["id"]),
        lambda status: status == "PROCESSING",
        timeout=15,
        what="Wise's PROCESSING webhook",
    )
    [known] = [r for r in kit_reviews(journey_stack) if r["id"] == review["id"]]
    assert known["last_return_status"] == "success"
    acme.open_account()
    expect(acme.kyc_review).to_have_attribute("data-status", "PROCESSING")
    expect(acme.kyc_review.get_by_role("button")).to_have_count(0)

    # The sandbox approves it: nothing is left for Ada to do.
    approve_in_sandbox(journey_stack, profile_id, review["id"])
    acme.open_account()
    expect(acme.kyc_review).to_have_count(0)
