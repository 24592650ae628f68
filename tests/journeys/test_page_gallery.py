"""Every page of the demo, at desktop width and at 390 px: screenshots to look at, and the checks
that nothing scrolls sideways and that text and controls share one font family.

The screenshots are kept in ``test-results/pages/<width>/`` (git-ignored, next to the traces of
failed journeys), numbered in the order a customer meets the pages, so a person can look at them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Page, Request, expect

from sample_app.wise_emulator import DEMO_CLIENT
from tests.journeys.conftest import JourneyStack
from tests.journeys.hosted_kyc import approve_in_sandbox
from tests.journeys.pages import AcmeBank, WiseAuthorize
from tests.support.waiting import wait_until

pytestmark = pytest.mark.journey

# The camera check's summary once every check has run ("... for information" when some only inform).
FINISHED = re.compile(r"^\d+ passed, \d+ failed, \d+ skipped(, \d+ for information)?\.$")
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# What each width is checked for; text in code-like elements is meant to look different.
LAYOUT = """() => {
  const families = new Set();
  const text = "body, h1, h2, p, label, a, li, dt, dd, legend, button, input, select, textarea";
  for (const element of document.querySelectorAll(text)) {
    const seen = element.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    if (!seen || element.closest("code, pre, output, kbd")) {
      continue;
    }
    families.add(getComputedStyle(element).fontFamily);
  }
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    families: [...families],
  };
}"""


class Gallery:
    """Screenshots each page it is shown at every width and notes what is wrong with it."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.problems: list[str] = []
        self.count = 0

    def capture(self, name: str) -> None:
        """Screenshot the current page at each width and check its layout."""
        self.page.wait_for_load_state()
        self.count += 1
        for label, size in WIDTHS.items():
            self.page.set_viewport_size(size)
            layout: dict[str, Any] = self.page.evaluate(LAYOUT)
            self.page.screenshot(
                path=self.folder / label / f"{self.count:02d}-{name}.png", full_page=True
            )
            if layout["scrollWidth"] > layout["innerWidth"]:
                self.problems.append(
                    f"{name} at {label}: {layout['scrollWidth']} px wide in a "
                    f"{layout['innerWidth']} px window"
                )
            if len(layout["families"]) != 1:
                self.problems.append(f"{name} at {label}: fonts {layout['families']}")
        self.page.set_viewport_size(WIDTHS["desktop"])

    def check(self) -> None:
        """Fail with every problem found, once every page has its screenshots."""
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture
def gallery(page: Page, pytestconfig: pytest.Config) -> Gallery:
    """A gallery writing to test-results/pages/."""
    folder = Path(str(pytestconfig.getoption("--output"))) / "pages"
    for label in WIDTHS:
        (folder / label).mkdir(parents=True, exist_ok=True)
    return Gallery(page, folder)


def test_acme_and_kit_pages(
    page: Page,
    acme: AcmeBank,
    wise_page: WiseAuthorize,
    journey_stack: JourneyStack,
    gallery: Gallery,
) -> None:
    callbacks: list[str] = []

    def remember(request: Request) -> None:
        if "/oauth/wise/callback" in request.url:
            callbacks.append(request.url)

    page.on("request", remember)

    page.goto(acme.base_url + "/")
    gallery.capture("acme-login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    gallery.capture("acme-login-error")

    acme.log_in("ada@example.com")
    gallery.capture("acme-account-not-connected")
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    gallery.capture("acme-result-connected")
    acme.open_account()
    # A running demo may have verified Ada in an earlier journey: then there is nothing to press.
    if page.get_by_role("button", name="Simulate verification").count():
        acme.simulate_verification()
    gallery.capture("acme-account-connected")
    acme.check_with_wise()
    expect(acme.notice).to_be_visible()
    gallery.capture("acme-account-checked")

    # Hosted KYC: Wise needs more from Ada; she gives it on Wise's page and comes back.
    wise, kit = journey_stack.wise, journey_stack.kit
    link = kit.get_link("c-ada")
    review = wise.create_kyc_review(link["profile_id"])
    wait_until(
        lambda: (wise.flush_webhooks(), acme.open_account().kyc_review.count())[1],
        lambda count: count == 1,
        what="Acme to show that Wise needs more information",
    )
    gallery.capture("acme-account-kyc-needed")
    acme.continue_with_wise()
    wise_page.expect_kyc_page()
    gallery.capture("wise-kyc-page")
    wise_page.submit_kyc()
    expect(acme.kyc_outcome).to_have_attribute("data-status", "success")
    gallery.capture("acme-kyc-returned")
    # Ended as Wise would end it, so no review stays open for a later journey on a shared stack.
    approve_in_sandbox(journey_stack, link["profile_id"], review["id"])

    # Wise restricts Ada's account (users#state-change): Acme says what she can still do.
    wise.set_user_state("ada@example.com", "WITHDRAW_ONLY", deactivation_type="ACCOUNT_SUSPENSION")
    wait_until(
        lambda: (wise.flush_webhooks(), kit.get_link("c-ada")["wise_user_state"])[1],
        lambda state: state == "WITHDRAW_ONLY",
        what="the kit to learn of the restriction",
    )
    acme.open_account()
    expect(acme.page.get_by_test_id("wise-user-state")).to_be_visible()
    gallery.capture("acme-account-wise-restricted")
    wise.advance_clock(5)  # a later event than the restriction (Wise's times have whole seconds)
    wise.set_user_state("ada@example.com", "ACTIVE")
    wait_until(
        lambda: (wise.flush_webhooks(), kit.get_link("c-ada")["wise_user_state"])[1],
        lambda state: state == "ACTIVE",
        what="the kit to learn Ada's account is active again",
    )

    page.goto(callbacks[0])  # Back to the callback after the account is linked
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Wise account is connected")
    gallery.capture("kit-callback-connected")

    journey_stack.wise.revoke_user("ada@example.com")
    acme.open_account()
    acme.check_with_wise()
    expect(acme.link_status).to_have_attribute("data-status", "reauthorization_required")
    gallery.capture("acme-account-revoked")
    acme.reconnect_wise()
    wise_page.log_in("ada@example.com").two_factor().deny()
    acme.expect_outcome("declined", "You chose not to connect")
    gallery.capture("acme-result-declined")

    acme.log_out()
    acme.log_in("grace@example.com")
    acme.connect_wise()
    wise_page.log_in("grace@example.com").two_factor().allow()
    acme.expect_outcome("failed", "do not match")
    gallery.capture("acme-result-identity-mismatch")

    acme.log_out()
    acme.log_in("lin@example.com")
    gallery.capture("acme-account-new-to-wise")
    acme.log_out()
    acme.log_in("charles@engines.example")
    gallery.capture("acme-account-business")

    kit = journey_stack.kit
    created = kit.create_session(
        customer__external_id="c-ada", return_url=f"{acme.base_url}/wise/return", ttl_seconds=1
    )
    wait_until(
        lambda: kit.get_session(created["id"])["status"],
        lambda status: status == "expired",
        what="the launch link to expire",
    )
    page.goto(created["launch_url"])
    gallery.capture("kit-link-expired")
    page.goto(f"{journey_stack.kit_url}/oauth/wise/callback?code=made-up&state=made-up")
    gallery.capture("kit-callback-unknown")
    page.goto(f"{journey_stack.kit_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wise onboarding service")
    gallery.capture("kit-home")
    page.goto(f"{journey_stack.kit_url}/webview/camera-check")
    # Finished: in a plain browser the embedding row is informational, so the summary says so.
    expect(page.get_by_test_id("summary")).to_have_text(FINISHED, timeout=30_000)
    gallery.capture("kit-camera-check")

    gallery.check()


def prepared_business_account(emulator_url: str, email: str) -> str:
    """Create an unclaimed business account as a partner does at Wise; return its claim code."""
    auth = (DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret)

    def call(method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = requests.request(
            method,
            emulator_url + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=15,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()

    app_token = requests.post(
        f"{emulator_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=auth,
        timeout=15,
    ).json()["access_token"]
    code = "gallery-registration-code-of-40-chars-xx"
    call("POST", "/v1/user/signup/registration_code", app_token, json={
        "email": email, "registrationCode": code,
    })  # fmt: skip
    token = requests.post(
        f"{emulator_url}/oauth/token",
        data={
            "grant_type": "registration_code",
            "email": email,
            "registration_code": code,
            "client_id": DEMO_CLIENT.client_id,
        },
        auth=auth,
        timeout=15,
    ).json()["access_token"]
    address = {"addressFirstLine": "1 Kirkby Mallory Lane", "city": "Leicester",
               "countryIso3Code": "gbr", "postCode": "LE9 7QE"}  # fmt: skip
    business = call("POST", "/v3/profiles/business-profile", token, json={
        "businessName": "Analytical Engines Ltd", "registrationNumber": "SC765432",
        "companyType": "LIMITED", "firstLevelCategory": "CONSULTING_IT_BUSINESS_SERVICES",
        "secondLevelCategory": "IT_DEVELOPMENT", "address": address,
        "businessRepresentative": {
            "firstName": "Ada", "lastName": "King", "dateOfBirth": "1985-12-10",
            "address": address,
            "contactDetails": {"email": email, "phoneNumber": "+447700900789"},
        },
    })  # fmt: skip
    call("POST", f"/v1/profiles/{business['id']}/directors", token, json=[
        {"firstName": "Ada", "lastName": "King", "dateOfBirth": "1985-12-10",
         "countryOfResidenceIso3Code": "gbr"},
    ])  # fmt: skip
    call("POST", f"/v1/profiles/{business['id']}/ubos", token, json=[
        {"name": "Annabella Milbanke", "dateOfBirth": "1972-05-17",
         "countryOfResidenceIso3Code": "gbr", "addressFirstLine": "1 Kirkby Mallory Lane",
         "postCode": "LE9 7QE", "ownershipPercentage": 100},
    ])  # fmt: skip
    return str(
        call("POST", "/v1/user/claim-account", token, json={"registrationCode": code})[
            "claimAccountCode"
        ]
    )


def test_wise_emulator_pages(
    page: Page,
    acme: AcmeBank,
    wise_page: WiseAuthorize,
    journey_stack: JourneyStack,
    gallery: Gallery,
) -> None:
    emulator = journey_stack.emulator_url
    page.goto(emulator + "/")
    gallery.capture("wise-landing")
    page.get_by_role("link", name="Open Acme Bank").click()
    expect(page).to_have_url(re.compile(re.escape(acme.base_url)))
    page.goto(emulator + "/__emulator/")
    gallery.capture("wise-control-index")
    page.goto(emulator + "/oauth/authorize/?client_id=nobody")
    gallery.capture("wise-error")
    page.goto(emulator + "/embedded-flows/verification?token=long-gone&checkId=1")
    gallery.capture("wise-kyc-link-expired")

    acme.log_in("lin@example.com")
    acme.connect_wise()
    wise_page.expect_login()
    gallery.capture("wise-login")
    page.get_by_label("Email").fill("lin@example.com")
    page.get_by_label("Password").fill("not-a-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    gallery.capture("wise-login-error")
    page.get_by_role("link", name="Create a Wise account").click()
    gallery.capture("wise-signup")
    page.get_by_label("Email").fill("ada@example.com")  # already with Wise
    page.get_by_label("Password").fill("a-good-password")
    page.get_by_label("First name").fill("Lin")
    page.get_by_label("Last name").fill("Chen")
    page.get_by_label("Date of birth").fill("1992-07-15")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_be_visible()
    gallery.capture("wise-signup-error")
    page.get_by_label("Email").fill("lin.gallery@example.com")
    page.get_by_label("Password").fill("a-good-password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text("Camera ready")
    gallery.capture("wise-id-document")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Camera ready")
    gallery.capture("wise-id-document-error")
    page.get_by_role("button", name="Take photo", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Photo taken.")
    gallery.capture("wise-id-document-photo")
    page.get_by_role("button", name="Continue").click()
    gallery.capture("wise-two-factor")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    gallery.capture("wise-two-factor-error")
    wise_page.two_factor()
    gallery.capture("wise-consent")
    wise_page.deny()

    query = urlencode({
        "client_id": DEMO_CLIENT.client_id,
        "redirect_uri": f"{journey_stack.kit_url}/oauth/wise/callback",
        "forwardingMode": "showCode",
    })  # fmt: skip
    page.goto(f"{emulator}/oauth/authorize/?{query}")
    wise_page.log_in("alan@example.com").two_factor()
    gallery.capture("wise-consent-choose-profile")
    wise_page.allow()
    expect(page.get_by_test_id("authorization-code")).to_be_visible()
    gallery.capture("wise-show-code")

    claim = prepared_business_account(emulator, "ada.king@example.com")
    query = urlencode({
        "client_id": DEMO_CLIENT.client_id,
        "redirect_uri": f"{journey_stack.kit_url}/oauth/wise/callback",
        "claim_account_code": claim,
    })  # fmt: skip
    page.goto(f"{emulator}/oauth/authorize/?{query}")
    wise_page.expect_claim("ada.king@example.com")
    gallery.capture("wise-claim-password")
    wise_page.set_password().two_factor()
    wise_page.review_section("Business details")
    gallery.capture("wise-claim-review")

    gallery.check()
