"""How Acme Bank's pages look to a customer: one main action, a steady header."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from tests.journeys.pages import AcmeBank, WiseAuthorize

pytestmark = pytest.mark.journey


def background(locator: Locator) -> str:
    """The element's computed background colour."""
    return str(locator.evaluate("element => getComputedStyle(element).backgroundColor"))


def test_the_header_keeps_its_height_after_log_in(acme: AcmeBank) -> None:
    acme.page.goto(acme.base_url + "/")
    header = acme.page.get_by_role("banner")
    before = header.bounding_box()
    acme.log_in("lin@example.com")
    expect(header.get_by_role("button", name="Log out")).to_be_visible()
    after = header.bounding_box()
    assert before is not None
    assert after is not None
    assert after["height"] == before["height"]


def test_only_the_main_action_looks_like_one(acme: AcmeBank, wise_page: WiseAuthorize) -> None:
    acme.log_in("ada@example.com")
    button = acme.page.get_by_role
    main = background(button("button", name="Connect your Wise account"))
    create = button("button", name="Create a Wise account with your Acme details")
    assert background(create) != main
    acme.connect_wise()
    wise_page.log_in("ada@example.com").two_factor().allow()
    acme.expect_outcome("linked", "Your Wise account is connected.")
    acme.open_account()
    # Simulating verification is what the demo asks for next; the rest are secondary. (A running
    # demo may have verified Ada in an earlier journey: then there is nothing to simulate.)
    simulate = button("button", name="Simulate verification")
    if simulate.count():
        assert background(simulate) == main
    for name in ("Check status with Wise", "Connect a different Wise account"):
        assert background(button("button", name=name)) != main, name
