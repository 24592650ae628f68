"""Acme Bank, the partner app the customer starts and ends in."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

PASSWORD = "acme-demo"


class AcmeBank:
    """Acme Bank's login, account and return pages."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def log_in(self, email: str, password: str = PASSWORD) -> AcmeBank:
        """Log in and land on the account page."""
        self.page.goto(self.base_url + "/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page).to_have_url(re.compile(re.escape(self.base_url) + "/account"))
        return self

    def log_out(self) -> AcmeBank:
        """Press "Log out" and land on the login page."""
        self.page.get_by_role("button", name="Log out").click()
        expect(self.page.get_by_role("button", name="Log in")).to_be_visible()
        return self

    def connect_wise(self) -> None:
        """Press "Connect your Wise account"; the browser leaves for the kit, then Wise."""
        self.page.get_by_role("button", name=re.compile("Connect")).click()

    def create_wise_account_with_acme_details(self) -> None:
        """Press the prefill button: Acme sends what it holds, the kit prepares the Wise account."""
        self.page.get_by_role("button", name="Create a Wise account with your Acme details").click()

    @property
    def existing_account_note(self) -> Locator:
        """The return page's note that an existing Wise account was connected instead."""
        return self.page.get_by_test_id("existing-account")

    def open_account(self) -> AcmeBank:
        """Go to the account page."""
        self.page.goto(self.base_url + "/account")
        return self

    def check_with_wise(self) -> None:
        """Press "Check status with Wise" on the account page."""
        self.page.get_by_role("button", name="Check status with Wise").click()

    def simulate_verification(self) -> None:
        """Press "Simulate verification" (sandbox); the page says Wise is on it, in place."""
        self.page.get_by_role("button", name="Simulate verification").click()
        expect(self.notice).to_have_text(re.compile("^Wise is verifying your profile"))

    @property
    def notice(self) -> Locator:
        """The account page's status line: what the last press did."""
        return self.page.get_by_test_id("notice")

    @property
    def date_of_birth(self) -> str:
        """The date of birth Acme holds, as the account page shows it."""
        return (
            self.page.get_by_test_id("customer-details")
            .get_by_test_id("date-of-birth")
            .inner_text()
        )

    def reconnect_wise(self) -> None:
        """Press "Reconnect your Wise account"; the browser leaves for the kit, then Wise."""
        self.page.get_by_role("button", name="Reconnect your Wise account").click()

    @property
    def verification(self) -> Locator:
        """The Wise verification status line."""
        return self.page.get_by_test_id("verification-status")

    @property
    def outcome(self) -> Locator:
        """The outcome message on the return page."""
        return self.page.get_by_test_id("outcome")

    @property
    def link_status(self) -> Locator:
        """The Wise link status block."""
        return self.page.get_by_test_id("link-status")

    @property
    def kyc_review(self) -> Locator:
        """The account page's Hosted KYC block ("Wise needs more information")."""
        return self.page.get_by_test_id("kyc-review")

    def continue_with_wise(self) -> None:
        """Press "Continue with Wise"; the browser leaves for the kit, then Wise's KYC page."""
        self.kyc_review.get_by_role("button", name="Continue with Wise").click()

    @property
    def kyc_outcome(self) -> Locator:
        """The line the KYC return page shows."""
        return self.page.get_by_test_id("kyc-outcome")

    def expect_outcome(self, status: str, text: str | re.Pattern[str]) -> None:
        """Wait for the return page to show ``status`` and ``text``."""
        expect(self.page).to_have_url(re.compile(re.escape(self.base_url) + "/wise/return"))
        expect(self.outcome).to_have_attribute("data-status", status)
        expect(self.outcome).to_contain_text(text)
