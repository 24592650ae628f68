"""The Wise authorize pages, as served by the emulator."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

PASSWORD = "wise-demo"
TWO_FACTOR_CODE = "111111"


class WiseAuthorize:
    """Log in or sign up, the ID document photo, claiming a prefilled account, 2FA and consent."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def expect_login(self) -> WiseAuthorize:
        """Wait until the browser is on Wise's authorize page."""
        expect(self.page).to_have_url(re.compile(re.escape(self.base_url) + "/oauth/authorize"))
        expect(self.page.get_by_role("button", name="Log in")).to_be_visible()
        return self

    def log_in(self, email: str, password: str = PASSWORD) -> WiseAuthorize:
        """Log in with an existing Wise account."""
        self.expect_login()
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        return self

    def sign_up(
        self,
        *,
        email: str,
        first_name: str,
        last_name: str,
        date_of_birth: str,
        password: str = PASSWORD,
    ) -> WiseAuthorize:
        """Create a new Wise account from the authorize page."""
        self.expect_login()
        self.page.get_by_role("link", name="Create a Wise account").click()
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_label("First name").fill(first_name)
        self.page.get_by_label("Last name").fill(last_name)
        self.page.get_by_label("Date of birth").fill(date_of_birth)
        self.page.get_by_role("button", name="Sign up").click()
        return self

    def take_id_photo(self) -> WiseAuthorize:
        """Photograph the ID document with the (fake) camera and continue."""
        take = self.page.get_by_role("button", name="Take photo")
        expect(take).to_be_enabled()
        take.click()
        expect(self.page.get_by_role("status")).to_contain_text(re.compile("photo", re.I))
        self.page.get_by_role("button", name="Continue").click()
        return self

    def two_factor(self, code: str = TWO_FACTOR_CODE) -> WiseAuthorize:
        """Enter the 2FA code (always 111111 in the sandbox)."""
        self.page.get_by_label("Code").fill(code)
        self.page.get_by_role("button", name="Continue").click()
        return self

    def allow(self, profile: str | None = None) -> None:
        """Consent to the partner's access; pick ``profile`` (its label) when there are several."""
        if profile is not None:
            self.page.get_by_role("group", name="Choose a profile").get_by_label(profile).check()
        self.page.get_by_role("button", name="Allow").click()

    def deny(self) -> None:
        """Refuse the partner's access."""
        self.page.get_by_role("button", name="Deny").click()

    # -- claiming an account the partner created (claim_account_code) --------------------------

    def expect_claim(self, email: str) -> WiseAuthorize:
        """Wait for the claim flow's first page, which names the prepared account."""
        expect(self.page).to_have_url(re.compile(re.escape(self.base_url) + "/oauth/authorize/"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            "Finish setting up your Wise account"
        )
        expect(self.page.get_by_text(email)).to_be_visible()
        return self

    def set_password(self, password: str = PASSWORD) -> WiseAuthorize:
        """Choose the password of the prepared account."""
        self.page.get_by_label("Create password").fill(password)
        self.page.get_by_label("Confirm password").fill(password)
        self.page.get_by_role("button", name="Set password").click()
        return self

    def review_section(self, legend: str) -> Locator:
        """One group of the pre-filled details ("Personal details", "Director 1"...)."""
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Check your details")
        return self.page.get_by_role("group", name=legend)

    def confirm_details(self) -> WiseAuthorize:
        """Accept the reviewed details and go on to consent."""
        self.page.get_by_role("button", name="Confirm details").click()
        return self

    # -- Hosted KYC: Wise's page for a KYC review ------------------------------------------------

    def expect_kyc_page(self) -> Locator:
        """Wait for Wise's KYC page; the list of what Wise needs."""
        expect(self.page).to_have_url(
            re.compile(re.escape(self.base_url) + "/embedded-flows/verification")
        )
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            "Wise needs a few more details"
        )
        return self.page.get_by_test_id("requirements")

    def submit_kyc(self) -> None:
        """Provide the information (in the emulator, one press stands for it)."""
        self.page.get_by_role("button", name="Submit information").click()
