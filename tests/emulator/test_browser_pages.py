"""The authorize pages in Chromium: log in, 2FA, consent; and sign-up with the camera step.

The camera is Chromium's fake device, so the page's own getUserMedia and canvas code runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, expect

from sample_app.serving import ServerThread
from sample_app.wise_emulator import EmulatorControl
from tests.support.browser import BASE_ARGS, system_chromium

from .conftest import CLIENT_ID, CLIENT_KEY, CLIENT_SECRET

CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def partner_callback(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Stand in for the partner's callback page."""
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<!doctype html><title>Linked</title><h1>Back at the partner</h1>"]


@pytest.fixture
def callback_url() -> Iterator[str]:
    """A running partner callback page."""
    with ServerThread(partner_callback) as server:
        yield f"http://127.0.0.1:{server.port}/wise/callback"


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with a fake camera that needs no permission prompt."""
    launched = playwright.chromium.launch(
        executable_path=system_chromium(), args=[*BASE_ARGS, *CAMERA_ARGS]
    )
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page with camera permission."""
    context = browser.new_context(permissions=["camera"])
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def authorize_url(app: Flask, live: str, callback_url: str) -> str:
    """Register the callback for the test client and return the authorize URL."""
    EmulatorControl(live).register_client(
        CLIENT_ID, CLIENT_SECRET, CLIENT_KEY, [callback_url], name="Test Bank"
    )
    query = urlencode(
        {"client_id": CLIENT_ID, "redirect_uri": callback_url, "state": "browser-state"}
    )
    return f"{live}/oauth/authorize/?{query}"


def exchange(live: str, page_url: str, callback_url: str) -> dict[str, Any]:
    """Redeem the code on the callback URL and return the tokens."""
    query = parse_qs(urlsplit(page_url).query)
    response = requests.post(
        f"{live}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "client_id": CLIENT_ID,
            "redirect_uri": callback_url,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 200
    return dict(response.json())


def test_log_in_two_factor_and_consent(
    page: Page, authorize_url: str, live: str, callback_url: str
) -> None:
    page.goto(authorize_url)
    expect(page.get_by_role("heading", name="Log in to Wise")).to_be_visible()
    page.get_by_label("Email").fill("alan@example.com")
    page.get_by_label("Password").fill("wise-demo")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text("That code is not right.")
    page.get_by_label("Code").fill("111111")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Test Bank would like to connect")).to_be_visible()
    chooser = page.get_by_role("group", name="Choose a profile")
    chooser.get_by_label("Turing Machines Ltd (Business)").check()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name="Back at the partner")).to_be_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["browser-state"]
    alan = EmulatorControl(live).get_user("alan@example.com")
    assert alan is not None
    business = next(p for p in alan["profiles"] if p["type"] == "BUSINESS")
    assert query["profileId"] == [str(business["id"])]
    tokens = exchange(live, page.url, callback_url)
    profile = requests.get(
        f"{live}/v2/profiles/{business['id']}",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    assert profile["businessName"] == "Turing Machines Ltd"


def test_sign_up_with_the_camera(
    page: Page, authorize_url: str, live: str, callback_url: str
) -> None:
    page.goto(authorize_url)
    page.get_by_role("link", name="Create a Wise account").click()
    page.get_by_label("Email").fill("radia@example.com")
    page.get_by_label("Password").fill("spanning-tree")
    page.get_by_label("First name").fill("Radia")
    page.get_by_label("Last name").fill("Perlman")
    page.get_by_label("Date of birth").fill("1991-12-18")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="ID document photo")).to_be_visible()
    take = page.get_by_role("button", name="Take photo")
    expect(take).to_be_enabled()  # the fake camera is streaming into the preview
    take.click()
    expect(page.get_by_role("status")).to_have_text("Photo taken.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill("111111")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name="Back at the partner")).to_be_visible()
    user = EmulatorControl(live).get_user("radia@example.com")
    assert user is not None
    assert user["id_document_bytes"] > 1000  # a real JPEG frame from the camera
    [profile] = user["profiles"]
    assert profile["dateOfBirth"] == "1991-12-18"
    query = parse_qs(urlsplit(page.url).query)
    assert query["profileId"] == [str(profile["id"])]
    tokens = exchange(live, page.url, callback_url)
    me = requests.get(
        f"{live}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    ).json()
    assert me["details"]["dateOfBirth"] == "1991-12-18"


def test_claim_a_pre_filled_business_account(
    page: Page, authorize_url: str, live: str, callback_url: str
) -> None:
    auth = (CLIENT_ID, CLIENT_SECRET)
    app_token = requests.post(
        f"{live}/oauth/token", data={"grant_type": "client_credentials"}, auth=auth, timeout=10
    ).json()["access_token"]
    code = "r" * 40
    requests.post(
        f"{live}/v1/user/signup/registration_code",
        json={"email": "ida@example.com", "registrationCode": code},
        headers={"Authorization": f"Bearer {app_token}"},
        timeout=10,
    ).raise_for_status()
    user_token = requests.post(
        f"{live}/oauth/token",
        data={
            "grant_type": "registration_code",
            "email": "ida@example.com",
            "registration_code": code,
            "client_id": CLIENT_ID,
        },
        auth=auth,
        timeout=10,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {user_token}"}
    business = requests.post(
        f"{live}/v3/profiles/business-profile",
        json={"businessName": "Rhodes Optics Ltd", "registrationNumber": "NI000123"},
        headers=headers,
        timeout=10,
    ).json()
    requests.post(
        f"{live}/v1/profiles/{business['id']}/directors",
        json=[{"firstName": "Idaa", "lastName": "Rhodes", "dateOfBirth": "1980-05-15"}],
        headers=headers,
        timeout=10,
    ).raise_for_status()
    claim = requests.post(
        f"{live}/v1/user/claim-account",
        json={"registrationCode": code},
        headers=headers,
        timeout=10,
    ).json()["claimAccountCode"]

    page.goto(f"{authorize_url}&{urlencode({'claim_account_code': claim})}")
    page.get_by_label("Create password").fill("a-good-password")
    page.get_by_label("Confirm password").fill("a-good-password")
    page.get_by_role("button", name="Set password").click()
    page.get_by_label("Code").fill("111111")
    page.get_by_role("button", name="Continue").click()
    details = page.get_by_role("group", name="Business details")
    expect(details.get_by_label("Business name")).to_have_value("Rhodes Optics Ltd")
    director = page.get_by_role("group", name="Director 1")
    expect(director.get_by_label("First name")).to_have_value("Idaa")
    director.get_by_label("First name").fill("Ida")
    page.get_by_role("button", name="Confirm details").click()
    # The partner sent no address: the customer must give what is missing before going on.
    expect(page.get_by_role("heading", name="Check your details")).to_be_visible()
    assert details.get_by_label("Address").evaluate("input => input.validity.valueMissing")
    details.get_by_label("Address").fill("1 Lab Lane")
    details.get_by_label("City").fill("Belfast")
    details.get_by_label("Postcode").fill("BT1 1AA")
    details.get_by_label("Country code").fill("gbr")
    page.get_by_role("button", name="Confirm details").click()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name="Back at the partner")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["profileId"] == [str(business["id"])]
    user = EmulatorControl(live).get_user("ida@example.com")
    assert user is not None
    assert user["claimed"] is True
    [profile] = user["profiles"]
    assert [d["firstName"] for d in profile["directors"]] == ["Ida"]
    assert profile["address"]["city"] == "Belfast"
