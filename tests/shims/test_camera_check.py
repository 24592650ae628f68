"""The camera-check page in Chromium with a fake camera, served under its strict CSP."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, Playwright, expect

from backend.camera_check import (
    CHECK_IDS,
    CHECK_STATUSES,
    EMBEDDINGS,
    MAX_DETAIL_LENGTH,
    REPORT_SCHEMA,
)
from sample_app.serving import ServerThread
from tests.shims.camera_support import (
    CAMERA_ARGS,
    NO_CAMERA_ARGS,
    RETURN_PATH,
    PageServer,
    Recorder,
    black_camera_args,
    launch,
    make_app,
    slug,
    traced_page,
    write_black_y4m,
)
from tests.shims.conftest import REPORTS

OpenPage = Callable[..., tuple[Page, Recorder]]
AUTOMATIC = [
    "secure-context",
    "media-devices",
    "cameras",
    "permission",
    "front-camera",
    "back-camera",
    "inline-preview",
    "frame",
    "embedding",
]
RUN_TIMEOUT = 30_000  # the page gives a camera up to 20 s to answer


@pytest.fixture(scope="module")
def server() -> Iterator[PageServer]:
    """The page server, for this module."""
    reports: list[Any] = []
    page_server = PageServer(ServerThread(make_app(reports)).start(), reports)
    yield page_server
    page_server.thread.stop()


@pytest.fixture(scope="module")
def camera_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with a fake camera."""
    browser = launch(playwright, CAMERA_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def no_camera_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with no camera at all."""
    browser = launch(playwright, NO_CAMERA_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def black_camera_browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Chromium whose fake camera films only black frames (a lens cap, or a broken preview)."""
    video = write_black_y4m(tmp_path_factory.mktemp("camera") / "black.y4m")
    browser = launch(playwright, black_camera_args(video))
    yield browser
    browser.close()


@pytest.fixture
def open_page(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[OpenPage]:
    """Open pages in fresh contexts; keep their traces when the test fails."""

    def keep_trace() -> Path | None:
        reports = request.node.stash.get(REPORTS, {})
        if any(report.failed for report in reports.values()):
            return Path(str(pytestconfig.getoption("--output"))) / slug(request.node.nodeid)
        return None

    with ExitStack() as stack:

        def opener(browser: Browser, **context_args: Any) -> tuple[Page, Recorder]:
            return stack.enter_context(traced_page(browser, keep_trace, **context_args))

        yield opener


def row(page: Page, check: str) -> Locator:
    """The checklist row of one check."""
    return page.get_by_test_id(f"check-{check}")


def wait_until_done(page: Page) -> None:
    """Wait for the automatic checks to finish (the summary stops saying 'Checking')."""
    expect(page.get_by_test_id("summary")).to_have_text(
        re.compile(r"^\d+ passed, \d+ failed, \d+ skipped"), timeout=RUN_TIMEOUT
    )


def test_camera_granted_every_check_passes(
    camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    page, recorder = open_page(camera_browser, permissions=["camera"])
    page.goto(server.url())
    wait_until_done(page)
    for check in AUTOMATIC:
        if check != "embedding":
            expect(row(page, check)).to_have_attribute("data-status", "passed")
    # A desktop browser is not an app's webview: the embedding row informs, it does not pass.
    expect(row(page, "embedding")).to_have_attribute("data-status", "info")
    expect(row(page, "embedding")).to_contain_text("open this page inside your app")
    # The frame is not black: the page measured it, and the preview really plays inline.
    brightness = re.search(r"brightness (\d+)/255", row(page, "frame").inner_text())
    assert brightness is not None
    assert int(brightness.group(1)) > 8
    assert page.get_by_test_id("preview").evaluate(
        "v => v.videoWidth > 0 && !v.paused && document.fullscreenElement === null"
    )
    # The two rows that need a person: a photo from the file input passes its row...
    expect(row(page, "file-input")).to_have_attribute("data-status", "skipped")
    photo: FilePayload = {"name": "id.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * 1200}
    page.get_by_label("Take or choose a photo").set_input_files(files=[photo])
    expect(row(page, "file-input")).to_have_attribute("data-status", "passed")
    expect(row(page, "file-input")).to_contain_text("image/jpeg")
    # ...and the return URL needs ?return_url= and the app (see the tests below).
    expect(row(page, "return-url")).to_have_attribute("data-status", "skipped")
    expect(page.get_by_test_id("summary")).to_have_text(
        "9 passed, 0 failed, 1 skipped, 1 for information."
    )
    for check in CHECK_IDS:
        expect(row(page, check).get_by_role("listitem")).to_have_count(0)
    assert recorder.errors == []


SAME_AS_FRONT = 'Same fix as for "getUserMedia with the front camera" above.'


def test_permission_denied_in_a_browser_points_to_its_site_settings_once(
    camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    page, recorder = open_page(camera_browser)  # no camera permission granted
    page.goto(server.url())
    wait_until_done(page)
    front = row(page, "front-camera")
    expect(front).to_have_attribute("data-status", "failed")
    expect(front).to_contain_text("NotAllowedError")
    fixes = front.get_by_role("listitem")
    expect(fixes).to_have_count(1)
    expect(fixes).to_contain_text("allow the camera for this site in the browser's site settings")
    # The app's settings cannot help in a browser, and the one fix is printed once.
    for check in ("back-camera", "permission"):
        expect(row(page, check)).to_have_attribute("data-status", "failed")
        expect(row(page, check).get_by_role("listitem")).to_have_text([SAME_AS_FRONT])
    expect(page.get_by_text("onPermissionRequest")).to_have_count(0)
    expect(row(page, "inline-preview")).to_have_attribute("data-status", "skipped")
    assert recorder.errors == []


def test_permission_denied_in_an_app_names_the_platform_fixes_once(
    playwright: Playwright, camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    descriptor = {
        k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"
    }
    page, recorder = open_page(camera_browser, **{**descriptor, "user_agent": ANDROID_WEBVIEW_UA})
    page.goto(server.url())
    wait_until_done(page)
    fixes = row(page, "front-camera").get_by_role("listitem")
    expect(fixes.filter(has_text="Android:")).to_contain_text("onPermissionRequest")
    expect(fixes.filter(has_text="Android:")).to_contain_text("android.permission.CAMERA")
    expect(fixes.filter(has_text="iOS:")).to_contain_text("NSCameraUsageDescription")
    expect(fixes.filter(has_text="iOS:")).to_contain_text("requestMediaCapturePermissionFor")
    for check in ("back-camera", "permission"):
        expect(row(page, check)).to_have_attribute("data-status", "failed")
        expect(row(page, check).get_by_role("listitem")).to_have_text([SAME_AS_FRONT])
    assert recorder.errors == []


def test_no_camera_shows_not_found_error_with_its_fix(
    no_camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    page, _ = open_page(no_camera_browser, permissions=["camera"])
    page.goto(server.url())
    wait_until_done(page)
    for check in ("front-camera", "back-camera", "cameras"):
        expect(row(page, check)).to_have_attribute("data-status", "failed")
        expect(row(page, check)).to_contain_text("NotFoundError")
    # One hint, about the device (a missing CAMERA permission is NotAllowedError instead), shown
    # on the first row that fails; the others point to it.
    fixes = row(page, "front-camera").get_by_role("listitem")
    expect(fixes).to_have_count(1)
    expect(fixes).to_contain_text("No camera was found on this device")
    expect(fixes).to_contain_text("the iOS Simulator has none")
    expect(fixes).to_contain_text("AVD camera set to Emulated or Webcam0")
    expect(fixes).not_to_contain_text("android.permission.CAMERA")
    for check in ("back-camera", "cameras"):
        expect(row(page, check).get_by_role("listitem")).to_have_text([SAME_AS_FRONT])
    expect(row(page, "frame")).to_have_attribute("data-status", "skipped")


def test_black_frames_fail_the_frame_check_with_its_fix(
    black_camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    page, recorder = open_page(black_camera_browser, permissions=["camera"])
    page.goto(server.url())
    wait_until_done(page)
    # The camera opens and the preview plays: only the picture is wrong.
    for check in ("front-camera", "back-camera", "inline-preview"):
        expect(row(page, check)).to_have_attribute("data-status", "passed")
    frame = row(page, "frame")
    expect(frame).to_have_attribute("data-status", "failed")
    expect(frame).to_contain_text("Every frame was black (brightest average")
    fixes = frame.get_by_role("listitem")
    expect(fixes).to_have_count(1)
    expect(fixes).to_contain_text("Point the camera at something lit")
    expect(fixes).to_contain_text("pass WiseOnboardingPolicy.makeConfiguration() into WKWebView")
    expect(page.get_by_test_id("summary")).to_contain_text(" 1 failed, ")
    assert recorder.errors == []


# Real user agents of embedded browsers (Playwright's device list only has the browsers').
ANDROID_WEBVIEW_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36"
)
IOS_WKWEBVIEW_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
INSTAGRAM_UA = IOS_WKWEBVIEW_UA + " Instagram 323.0.3.23.54 (iPhone14,5; iOS 17_4; en_US; en)"
# An app's own webview passes; a browser, in-app or not, is only reported.
MOBILE = [
    ("Pixel 7", None, "Regular browser on Android", "info"),
    ("Pixel 7", ANDROID_WEBVIEW_UA, "Android WebView", "passed"),
    ("iPhone 13", None, "Regular browser (Safari", "info"),
    ("iPhone 13", IOS_WKWEBVIEW_UA, "iOS WKWebView", "passed"),
    ("iPhone 13", INSTAGRAM_UA, "In-app browser (Instagram)", "info"),
]


@pytest.mark.parametrize(
    ("device", "user_agent", "expected", "status"),
    MOBILE,
    ids=["pixel-chrome", "pixel-webview", "iphone-safari", "iphone-wkwebview", "iphone-instagram"],
)
def test_mobile_embedding_detection(
    playwright: Playwright,
    camera_browser: Browser,
    open_page: OpenPage,
    server: PageServer,
    device: str,
    user_agent: str | None,
    expected: str,
    status: str,
) -> None:
    # A phone's viewport, scale, touch and user agent; only the browser engine stays Chromium.
    descriptor = {
        k: v for k, v in playwright.devices[device].items() if k != "default_browser_type"
    }
    if user_agent is not None:
        descriptor["user_agent"] = user_agent
    page, _ = open_page(camera_browser, permissions=["camera"], **descriptor)
    page.goto(server.url())
    wait_until_done(page)
    embedding = row(page, "embedding")
    expect(embedding).to_have_attribute("data-status", status)
    expect(embedding).to_contain_text(expected)
    # The checklist fits a phone screen: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_page_talks_to_no_other_origin_and_sends_only_on_request(
    camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    server.reports.clear()
    page, recorder = open_page(camera_browser, permissions=["camera"])
    page.goto(server.url())
    wait_until_done(page)
    assert server.reports == [], "nothing is sent before the button is pressed"
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("send-status")).to_have_text("Report sent (HTTP 201).")
    [report] = server.reports
    assert report["path"] == "/api/v1/camera-checks"
    body = report["body"]
    # The shape the backend's endpoint validates, from the constants it will import.
    assert set(body) == {"schema", "created_at", "user_agent", "embedding", "viewport", "checks"}
    assert body["schema"] == REPORT_SCHEMA
    assert body["embedding"] in EMBEDDINGS
    assert tuple(c["id"] for c in body["checks"]) == CHECK_IDS
    assert {c["status"] for c in body["checks"]} <= CHECK_STATUSES
    assert max(len(c["detail"]) for c in body["checks"]) <= MAX_DETAIL_LENGTH
    assert "data:image" not in str(body)
    assert len(str(body)) < 8_000
    assert recorder.foreign_requests(server.origin) == []
    assert recorder.requests, "the recorder saw the page load"


def test_report_path_is_configurable_but_same_origin_only(
    camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    server.reports.clear()
    page, _ = open_page(camera_browser, permissions=["camera"])
    page.goto(server.url("/webview/camera-check?report_path=/custom/reports"))
    wait_until_done(page)
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("send-status")).to_have_text("Report sent (HTTP 201).")
    assert [r["path"] for r in server.reports] == ["/custom/reports"]

    page.goto(server.url("/webview/camera-check?report_path=//evil.example/collect"))
    wait_until_done(page)
    expect(page.get_by_role("button", name="Send report")).to_be_disabled()
    expect(page.get_by_test_id("send-status")).to_contain_text("Sending is off")


def test_return_url_button_goes_to_the_return_url(
    camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    page, _ = open_page(camera_browser, permissions=["camera"])
    page.goto(server.url(f"/webview/camera-check?return_url={server.url(RETURN_PATH)}"))
    wait_until_done(page)
    expect(row(page, "return-url")).to_contain_text("the app should close this page")
    page.get_by_role("button", name="Test return URL").click()
    page.wait_for_url(server.url(RETURN_PATH) + "?session_id=camera-check&status=camera-check")


def test_uncaught_app_scheme_return_url_fails_with_its_fix(
    camera_browser: Browser, open_page: OpenPage, server: PageServer
) -> None:
    page, _ = open_page(camera_browser, permissions=["camera"])
    page.goto(server.url("/webview/camera-check?return_url=acmebank://onboarding/done"))
    wait_until_done(page)
    page.get_by_role("button", name="Test return URL").click()
    # A plain browser has no app to catch acmebank://, so the page stays and says so.
    return_row = row(page, "return-url")
    expect(return_row).to_have_attribute("data-status", "failed", timeout=10_000)
    expect(return_row.get_by_role("listitem").first).to_contain_text("web.return_urls")


@pytest.mark.parametrize(
    "return_url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java%09script:alert(1)", "data:text/html,x"],
)
def test_dangerous_return_urls_are_refused(
    camera_browser: Browser, open_page: OpenPage, server: PageServer, return_url: str
) -> None:
    page, recorder = open_page(camera_browser, permissions=["camera"])
    page.goto(server.url(f"/webview/camera-check?return_url={return_url}"))
    wait_until_done(page)
    expect(row(page, "return-url")).to_have_attribute("data-status", "failed")
    expect(row(page, "return-url")).to_contain_text("URLs are refused")
    expect(page.get_by_role("button", name="Test return URL")).to_be_disabled()
    assert recorder.errors == []
