"""The API reference page as a partner's engineer opens it: rendered, with nothing refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.conftest import JourneyStack

pytestmark = pytest.mark.journey

TAGS = ("Onboarding sessions", "Wise links", "Wise transfers", "Camera checks", "Wise webhooks")


def test_the_reference_renders_every_operation_from_the_kit_alone(
    page: Page, journey_stack: JourneyStack
) -> None:
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))
    problems: list[str] = []
    # A CSP refusal (inline script, an outside asset) shows up as a console error.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{journey_stack.kit_url}/api/v1/docs")
    expect(page.get_by_role("heading", name="Wise KYC onboarding kit")).to_be_visible()
    for tag in TAGS:
        expect(page.get_by_role("heading", name=tag)).to_be_visible()
    document = page.request.get(f"{journey_stack.kit_url}/api/v1/openapi.json").json()
    operations = sum(
        method in {"get", "post", "put", "patch", "delete"}
        for item in document["paths"].values()
        for method in item
    )
    assert operations >= 11
    expect(page.locator(".opblock")).to_have_count(operations)
    page.locator(".opblock-summary", has_text="/api/v1/onboarding-sessions").first.click()
    expect(page.get_by_text("idempotency_key_reused", exact=False).first).to_be_visible()
    page.screenshot(path="test-results/api-reference.png", full_page=False)
    assert problems == []
    assert origins == {urlsplit(journey_stack.kit_url).netloc}, "everything comes from the kit"
