"""The camera-check page: one self-contained HTML file, and the headers to serve it with.

The backend serves the file unchanged at ``GET /webview/camera-check``::

    from backend.camera_check import page_headers, page_html

    response = Response(page_html(), mimetype="text/html")
    response.headers.update(page_headers())

The page reads two optional query parameters: ``return_url`` (where "Test return URL" goes; http(s)
or an app scheme, never ``javascript:``) and ``report_path`` (a same-origin path for "Send report",
default ``/api/v1/camera-checks``). It sends nothing unless the person presses "Send report", and
the report never contains an image.

The report is JSON, about 3 KB::

    {"schema": "camera-check/1", "created_at": "<ISO 8601>", "user_agent": "<string>",
     "embedding": "ios-wkwebview" | "android-webview" | "in-app-browser" | "browser",
     "viewport": {"width": <int>, "height": <int>, "device_pixel_ratio": <number>},
     "checks": [{"id": <one of CHECK_IDS>, "status": <one of CHECK_STATUSES>,
                 "detail": "<at most MAX_DETAIL_LENGTH characters>", "error": "<name>" | null}]}
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

PAGE_PATH = Path(__file__).with_name("index.html")
DEFAULT_REPORT_PATH = "/api/v1/camera-checks"
PERMISSIONS_POLICY = "camera=(self)"
REPORT_SCHEMA = "camera-check/1"
# The rows of the checklist, in order; the report lists each once.
CHECK_IDS: tuple[str, ...] = (
    "secure-context",
    "media-devices",
    "cameras",
    "permission",
    "front-camera",
    "back-camera",
    "inline-preview",
    "frame",
    "file-input",
    "return-url",
    "embedding",
)
CHECK_STATUSES = frozenset({"passed", "failed", "skipped", "running", "info"})
EMBEDDINGS = frozenset({"ios-wkwebview", "android-webview", "in-app-browser", "browser"})
MAX_DETAIL_LENGTH = 300

# The page has exactly one inline <script> and one inline <style>, and no attributes on either,
# so their content is exactly what the browser hashes.
_INLINE = {
    "script": re.compile(r"<script>(.*?)</script>", re.S),
    "style": re.compile(r"<style>(.*?)</style>", re.S),
}


@cache
def page_html() -> str:
    """The page's HTML, read once."""
    return PAGE_PATH.read_text(encoding="utf-8")


def _hash(content: str) -> str:
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def inline_hashes(html: str) -> dict[str, str]:
    """CSP source expressions (``'sha256-...'``) of the page's inline script and style."""
    hashes = {}
    for kind, pattern in _INLINE.items():
        blocks = pattern.findall(html)
        if len(blocks) != 1:
            raise ValueError(f"the camera-check page must have exactly one inline <{kind}>")
        hashes[kind] = _hash(blocks[0])
    return hashes


@cache
def page_csp() -> str:
    """The Content-Security-Policy for the page: its own inline script and style, nothing else.

    No other origin is reachable: fetch() may only go back to the page's own origin (the report),
    and images only as data: URLs (the empty favicon). Trusted Types forbid string-to-code sinks.
    """
    hashes = inline_hashes(page_html())
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {hashes['script']}",
            f"style-src {hashes['style']}",
            "img-src data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


def page_headers() -> dict[str, str]:
    """Every response header the page needs, CSP and Permissions-Policy included."""
    return {
        "Content-Security-Policy": page_csp(),
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
