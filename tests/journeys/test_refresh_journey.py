"""A dead launch link in Chromium: with Acme's refresh_url, Ada lands on a fresh one, not a 410."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Request, expect

from tests.journeys.conftest import JourneyStack
from tests.journeys.pages import AcmeBank, WiseAuthorize

pytestmark = pytest.mark.journey


def test_going_back_to_a_used_launch_link_starts_a_fresh_session(
    acme: AcmeBank, wise_page: WiseAuthorize, journey_stack: JourneyStack
) -> None:
    launches: list[str] = []
    refreshes: list[str] = []

    def remember(request: Request) -> None:
        if "/onboarding/launch/" in request.url:
            launches.append(request.url)
        if "/wise/refresh" in request.url:
            refreshes.append(request.url)

    acme.page.on("request", remember)
    acme.log_in("ada@example.com")
    acme.connect_wise()
    wise_page.expect_login()
    # Ada opens the same link again (Back, a second tab, a bookmark): it is spent.
    acme.page.goto(launches[0])
    # The kit sends her to Acme's refresh URL, Acme mints a new session: she is at Wise again.
    wise_page.expect_login()
    assert len(refreshes) == 1
    assert re.search(r"[?&]reason=used(&|$)", refreshes[0])
    assert len(set(launches)) == 2
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    expect(acme.link_status).to_have_attribute("data-status", "linked")
