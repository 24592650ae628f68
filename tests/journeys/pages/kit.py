"""The kit's own pages: a link expired or reused, or a return to a link already finished."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class KitPage:
    """The kit's friendly error page, and the page of a link already finished."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    @property
    def heading(self) -> Locator:
        """The page heading."""
        return self.page.get_by_role("heading", level=1)

    @property
    def message(self) -> Locator:
        """The explanation shown to the customer."""
        return self.page.get_by_test_id("error-message")

    @property
    def return_link(self) -> Locator:
        """The link back to the partner app, when the session is known."""
        return self.page.get_by_role("link", name="Return to the app")

    @property
    def back_link(self) -> Locator:
        """The link back to the partner app from the page of a finished link."""
        return self.page.get_by_role("link", name="Back to the app")
