"""A tiny server for the camera-check page, and browsers set up the way the page tests need.

The server is a minimal Flask app (not the backend): it serves the page with the headers from
``backend.camera_check.page_headers()``, exactly as the backend will, and records reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from backend.camera_check import page_headers, page_html
from sample_app.serving import ServerThread
from tests.support.browser import BASE_ARGS, FAKE_CAMERA_ARGS, system_chromium

PAGE_PATH = "/webview/camera-check"
RETURN_PATH = "/partner/return"

# Chromium's fake capture device; "device-count=0" gives a machine with no camera at all, which
# is reliable on any host (a developer's laptop may have a real webcam).
CAMERA_ARGS = [*BASE_ARGS, *FAKE_CAMERA_ARGS]
NO_CAMERA_ARGS = [*BASE_ARGS, "--use-fake-device-for-media-stream=device-count=0"]


def black_camera_args(video: Path) -> list[str]:
    """Chromium's fake camera playing ``video`` (a Y4M file) in a loop instead of its test card."""
    return [*CAMERA_ARGS, f"--use-file-for-fake-video-capture={video}"]


def write_black_y4m(path: Path, width: int = 64, height: int = 48, frames: int = 3) -> Path:
    """Write a YUV4MPEG2 clip whose every frame is black: 4:2:0, Y=16 and U=V=128 (studio range)."""
    chroma = (width // 2) * (height // 2)
    frame = b"FRAME\n" + bytes([16]) * (width * height) + bytes([128]) * (2 * chroma)
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode("ascii")
    path.write_bytes(header + frame * frames)
    return path


@dataclass
class PageServer:
    """The running test server and what it received."""

    thread: ServerThread
    reports: list[Any] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.thread.host}:{self.thread.port}"

    def url(self, path: str = PAGE_PATH) -> str:
        """An absolute URL on this server."""
        return self.origin + path


def make_app(reports: list[Any]) -> Flask:
    """The page, a report endpoint and a return-URL target."""
    app = Flask("camera_check_test")

    @app.get(PAGE_PATH)
    def camera_check() -> Response:
        """Serve the page exactly as the backend will."""
        response = Response(page_html(), mimetype="text/html")
        response.headers.update(page_headers())
        return response

    @app.post("/api/v1/camera-checks")
    @app.post("/custom/reports")
    def receive_report() -> tuple[dict[str, int], int]:
        """Record a report."""
        reports.append({"path": request.path, "body": request.get_json()})
        return {"id": len(reports)}, 201

    @app.get(RETURN_PATH)
    def partner_return() -> str:
        """Stand in for the partner's return page."""
        return "returned"

    return app


def launch(playwright: Playwright, args: list[str]) -> Browser:
    """Chromium with ``args``: the system one when there is one, else Playwright's."""
    return playwright.chromium.launch(executable_path=system_chromium(), args=args)


@dataclass
class Recorder:
    """Every request and browser-side error of one context."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        """Start recording ``context``."""
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("weberror", lambda e: self.errors.append(str(e.error)))
        context.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )

    def foreign_requests(self, origin: str) -> list[str]:
        """Requests that went anywhere but ``origin`` (data: URLs never leave the page)."""
        return [
            url
            for url in self.requests
            if not url.startswith("data:")
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != origin
        ]


@contextmanager
def traced_page(
    browser: Browser, keep_trace: Callable[[], Path | None], **context_args: Any
) -> Iterator[tuple[Page, Recorder]]:
    """A page in a fresh, traced context. On exit ``keep_trace()`` says where to save the trace
    (a failed test) or None (a passed one)."""
    context = browser.new_context(**context_args)
    recorder = Recorder()
    recorder.attach(context)
    context.tracing.start(screenshots=True, snapshots=True)
    try:
        yield context.new_page(), recorder
    finally:
        trace_dir = keep_trace()
        if trace_dir is not None:
            trace_dir.mkdir(parents=True, exist_ok=True)
            context.tracing.stop(path=str(trace_dir / "trace.zip"))
        else:
            context.tracing.stop()
        context.close()


def slug(nodeid: str) -> str:
    """A folder name for a test id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid).strip("-")[:150]
