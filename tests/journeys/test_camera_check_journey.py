"""The camera check as the kit serves it, in Chromium with a fake camera.

The page's own behaviour (every row, the fixes, embedding detection) is tested in
tests/shims/; these journeys prove the kit's route, headers and report endpoint work with it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from tests.journeys.conftest import JourneyStack

pytestmark = pytest.mark.journey

RUN_TIMEOUT = 30_000


def open_check(page: Page, journey_stack: JourneyStack, return_url: str | None = None) -> None:
    url = f"{journey_stack.kit_url}/webview/camera-check"
    if return_url:
        url += f"?return_url={quote(return_url, safe='')}"
    page.goto(url)
    expect(page.get_by_test_id("summary")).to_have_text(
        re.compile(r"^\d+ passed, \d+ failed, \d+ skipped"), timeout=RUN_TIMEOUT
    )


def test_camera_check_served_by_the_kit_passes_and_reports(
    page: Page, journey_stack: JourneyStack
) -> None:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_check(page, journey_stack)
    for check in ("secure-context", "media-devices", "cameras", "front-camera", "frame"):
        expect(page.get_by_test_id(f"check-{check}")).to_have_attribute("data-status", "passed")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("send-status")).to_have_text("Report sent (HTTP 201).")
    # Nothing but the kit's own origin, and no CSP violation reported by the browser.
    kit = urlsplit(journey_stack.kit_url)
    foreign = [u for u in seen if not u.startswith("data:") and urlsplit(u).netloc != kit.netloc]
    assert foreign == []
    assert not [e for e in errors if "Content Security Policy" in e]


def test_camera_denied_shows_the_fixes_on_the_kits_page(
    browser: object, journey_stack: JourneyStack
) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]  # no camera permission
    page = context.new_page()
    try:
        open_check(page, journey_stack)
        row = page.get_by_test_id("check-front-camera")
        expect(row).to_have_attribute("data-status", "failed")
        expect(row).to_contain_text("NotAllowedError")
        # A desktop browser, not an app: the fix is the browser's site settings.
        expect(row).to_contain_text("allow the camera for this site in the browser's site settings")
        expect(page.get_by_test_id("check-embedding")).to_have_attribute("data-status", "info")
    finally:
        context.close()


def test_return_url_button_reaches_the_partner_app(page: Page, journey_stack: JourneyStack) -> None:
    target = f"{journey_stack.acme_url}/wise/return"
    navigations: list[str] = []

    def remember(request: Request) -> None:
        if request.is_navigation_request():
            navigations.append(request.url)

    page.on("request", remember)
    open_check(page, journey_stack, return_url=target)
    page.get_by_role("button", name=re.compile("return URL", re.I)).click()
    # Acme sends a visitor who is not logged in on to its login page; the navigation to the
    # return URL is what an app's webview would intercept.
    expect(page).not_to_have_url(re.compile("/webview/camera-check"))
    assert any(
        url.startswith(target + "?") and "session_id=camera-check" in url for url in navigations
    )
