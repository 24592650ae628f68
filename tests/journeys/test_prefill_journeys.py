"""Prefill journeys in Chromium: Acme sends what it knows, the customer reviews it at Wise."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.journeys.conftest import JourneyStack
from tests.journeys.pages import AcmeBank, WiseAuthorize

pytestmark = pytest.mark.journey


def session_of(acme: AcmeBank, journey_stack: JourneyStack) -> dict[str, object]:
    """The kit's session behind the return page the browser is on."""
    session_id = parse_qs(urlsplit(acme.page.url).query)["session_id"][0]
    return journey_stack.kit.get_session(session_id)


def test_new_personal_customer_reviews_prefilled_details_and_links(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    acme.log_in("mary@example.com")
    acme.create_wise_account_with_acme_details()
    wise_page.expect_claim("mary@example.com").set_password("mary-chooses-this").two_factor()
    details = wise_page.review_section("Personal details")
    for label, value in (
        ("First name", "Mary"),
        ("Last name", "Somerville"),
        ("Date of birth", "1980-12-26"),
        ("Address", "1 Burntisland Road"),
        ("City", "Edinburgh"),
        ("Postcode", "EH1 1AA"),
        ("Country code", "gbr"),
    ):
        expect(details.get_by_label(label)).to_have_value(value)
    wise_page.confirm_details().allow()

    acme.expect_outcome("linked", "Your Wise account is connected.")
    expect(acme.link_status).to_contain_text("personal profile")
    expect(acme.existing_account_note).to_have_count(0)
    session = session_of(acme, journey_stack)
    assert (session["mode"], session["identity_check"]) == ("prefill", "passed")
    user = journey_stack.wise.get_user("mary@example.com")
    assert user is not None
    assert (user["claimed"], user["has_password"], len(user["profiles"])) == (True, True, 1)


def test_new_business_customer_reviews_company_directors_and_owners(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    acme.log_in("charles@engines.example")
    acme.create_wise_account_with_acme_details()
    wise_page.expect_claim("charles@engines.example").set_password().two_factor()
    company = wise_page.review_section("Business details")
    expect(company.get_by_label("Business name")).to_have_value("Difference Engines Ltd")
    expect(company.get_by_label("Registration number")).to_have_value("SC123456")
    expect(company.get_by_label("Company type")).to_have_value("LIMITED")
    expect(company.get_by_label("City")).to_have_value("London")
    director = wise_page.review_section("Director 1")
    expect(director.get_by_label("First name")).to_have_value("Charles")
    expect(director.get_by_label("Last name")).to_have_value("Babbage")
    expect(director.get_by_label("Date of birth")).to_have_value("1971-12-26")
    owner = wise_page.review_section("Owner 1")
    expect(owner.get_by_label("Full name")).to_have_value("Georgiana Whitmore")
    expect(owner.get_by_label("Ownership (%)")).to_have_value("60")
    # Wise's v2 flow made Charles, the representative, a personal profile first.
    expect(wise_page.review_section("Personal details").get_by_label("Last name")).to_have_value(
        "Babbage"
    )
    wise_page.confirm_details().allow("Difference Engines Ltd (Business)")

    acme.expect_outcome("linked", "Your Wise account is connected.")
    expect(acme.link_status).to_contain_text("business profile")
    assert session_of(acme, journey_stack)["identity_check"] == "passed"


def test_existing_wise_email_falls_back_to_log_in_and_link(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    acme.log_in("ada@example.com")
    acme.create_wise_account_with_acme_details()
    wise_page.log_in("ada@example.com").two_factor().allow()

    acme.expect_outcome("linked", "Your Wise account is connected.")
    expect(acme.existing_account_note).to_contain_text("You already had a Wise account")
    session = session_of(acme, journey_stack)
    assert (session["existing_account"], session["identity_check"]) == (True, "passed")
    ada = journey_stack.wise.get_user("ada@example.com")
    assert ada is not None
    assert len(ada["profiles"]) == 1
