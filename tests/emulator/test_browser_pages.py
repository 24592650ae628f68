"""The authorize pages in Chromium: log in, 2FA, consent; and sign-up with the camera step.

The camera is Chromium's fake device playing a clip of a red disc on black, so the page's own
getUserMedia and canvas code runs, and the shape of the captured photo can be measured.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, expect

from sample_app.serving import ServerThread
from sample_app.wise_emulator import EmulatorControl
from tests.support.browser import BASE_ARGS, FAKE_CAMERA_ARGS, system_chromium

from .conftest import BUSINESS_BODY, CLIENT_ID, CLIENT_KEY, CLIENT_SECRET

CAMERA_ARGS = [*FAKE_CAMERA_ARGS, "--use-fake-ui-for-media-stream"]
# A 1x1 PNG: what a customer without a camera uploads.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# The bounding box of the red pixels in a PNG, measured by the browser's own decoder.
RED_BOX = """async (png) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  let left = Infinity, right = -1, top = Infinity, bottom = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const at = (y * image.width + x) * 4;
      if (pixels[at] > 128 && pixels[at + 1] < 96 && pixels[at + 2] < 96) {
        left = Math.min(left, x); right = Math.max(right, x);
        top = Math.min(top, y); bottom = Math.max(bottom, y);
      }
    }
  }
  return { width: right - left + 1, height: bottom - top + 1 };
}"""


def write_disc_y4m(path: Path, width: int = 320, height: int = 240, radius: int = 80) -> Path:
    """Write a YUV4MPEG2 clip of a red disc centred on black (4:2:0, studio range)."""

    def inside(x: float, y: float) -> bool:
        return (x - width / 2) ** 2 + (y - height / 2) ** 2 <= radius**2

    luma = bytes(
        81 if inside(x + 0.5, y + 0.5) else 16 for y in range(height) for x in range(width)
    )
    half = [inside(2 * x + 1, 2 * y + 1) for y in range(height // 2) for x in range(width // 2)]
    blue = bytes(90 if red else 128 for red in half)
    red = bytes(240 if red else 128 for red in half)
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode("ascii")
    path.write_bytes(header + (b"FRAME\n" + luma + blue + red) * 3)
    return path


@pytest.fixture(scope="module")
def disc_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake camera's clip."""
    return write_disc_y4m(tmp_path_factory.mktemp("camera") / "disc.y4m")


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
def browser(playwright: Playwright, disc_clip: Path) -> Iterator[Browser]:
    """Chromium with a fake camera filming a disc, that needs no permission prompt."""
    launched = playwright.chromium.launch(
        executable_path=system_chromium(),
        args=[*BASE_ARGS, *CAMERA_ARGS, f"--use-file-for-fake-video-capture={disc_clip}"],
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
        json={
            **BUSINESS_BODY,
            "businessName": "Rhodes Optics Ltd",
            "registrationNumber": "NI000123",
            "address": {
                "addressFirstLine": "1 Lab Lane",
                "city": "Belfast",
                "countryIso3Code": "gbr",
            },
        },
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
    # The partner sent no postcode: the customer must give what is missing before going on.
    expect(page.get_by_role("heading", name="Check your details")).to_be_visible()
    assert details.get_by_label("Postcode").evaluate("input => input.validity.valueMissing")
    details.get_by_label("Postcode").fill("BT1 1AA")
    page.get_by_role("button", name="Confirm details").click()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name="Back at the partner")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["profileId"] == [str(business["id"])]
    user = EmulatorControl(live).get_user("ida@example.com")
    assert user is not None
    assert user["claimed"] is True
    [profile] = user["profiles"]
    assert [d["firstName"] for d in profile["directors"]] == ["Ida"]
    assert profile["address"]["postCode"] == "BT1 1AA"


def open_id_document_step(page: Page, authorize_url: str, email: str) -> None:
    """Sign up at the authorize page and arrive at the ID photo step with the camera running."""
    page.goto(authorize_url)
    page.get_by_role("link", name="Create a Wise account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a-good-password")
    page.get_by_label("First name").fill("Katherine")
    page.get_by_label("Last name").fill("Johnson")
    page.get_by_label("Date of birth").fill("1988-08-26")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="ID document photo")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Camera ready")


def test_the_captured_photo_keeps_the_cameras_aspect_ratio(page: Page, authorize_url: str) -> None:
    open_id_document_step(page, authorize_url, "katherine@example.com")
    page.get_by_role("button", name="Take photo", exact=True).click()
    photo = page.get_by_label("Captured photo")
    expect(photo).to_be_visible()
    box = page.evaluate(RED_BOX, base64.b64encode(photo.screenshot()).decode())
    # The camera films a red disc; on screen it must still be one, not an ellipse.
    assert box["height"] > 50, box
    assert abs(box["width"] / box["height"] - 1) < 0.04, box


def test_a_taken_photo_can_be_retaken(page: Page, authorize_url: str, live: str) -> None:
    open_id_document_step(page, authorize_url, "dorothy@example.com")
    take, retake = (
        page.get_by_role("button", name="Take photo", exact=True),
        page.get_by_role("button", name="Retake photo"),
    )
    expect(retake).to_be_hidden()
    take.click()
    expect(page.get_by_role("status")).to_have_text("Photo taken.")
    expect(take).to_be_hidden()
    retake.click()
    expect(page.get_by_role("status")).to_contain_text("Camera ready")
    expect(page.get_by_label("Camera preview")).to_be_visible()
    expect(page.get_by_label("Captured photo")).to_be_hidden()
    expect(retake).to_be_hidden()
    assert page.locator("#photo-data").input_value() == ""  # the first photo is gone
    take.click()
    expect(page.get_by_role("status")).to_have_text("Photo taken.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Code")).to_be_visible()
    user = EmulatorControl(live).get_user("dorothy@example.com")
    assert user is not None
    assert user["id_document_bytes"] > 1000


def test_choosing_a_file_clears_the_error_and_the_camera_status(
    page: Page, authorize_url: str, live: str
) -> None:
    open_id_document_step(page, authorize_url, "mary.jackson@example.com")
    page.get_by_role("button", name="Continue").click()  # neither a photo nor a file
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Take a photo of your ID document, or upload one.")
    expect(page.get_by_role("status")).to_contain_text("Camera ready")
    page.get_by_label("Or upload a photo of your ID document").set_input_files(
        {"name": "licence.png", "mimeType": "image/png", "buffer": PNG}
    )
    expect(alert).to_have_count(0)
    status = page.get_by_role("status")
    expect(status).to_have_text("Using licence.png. Press Continue.")
    expect(status).not_to_contain_text(re.compile("camera", re.IGNORECASE))
    expect(page.get_by_label("Camera preview")).to_be_hidden()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Code")).to_be_visible()
    user = EmulatorControl(live).get_user("mary.jackson@example.com")
    assert user is not None
    assert user["id_document_bytes"] == len(PNG)
