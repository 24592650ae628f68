"""Find the Chromium that the browser journeys drive, and install Playwright's own if none exists.

Order: ``ONBOARDING_CHROMIUM`` (a path), a system Chromium on ``PATH``, then the Chromium that
``playwright install chromium`` downloads. Run ``python -m tests.support.browser --ensure`` to make
sure one of them is present (``make test`` does this).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Without these, Chromium on a closed network keeps opening connections that get refused, and as
# root it refuses to start without --no-sandbox.
BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream"]


def system_chromium() -> str | None:
    """Return the path of a system Chromium, or None to use Playwright's bundled browser."""
    explicit = os.environ.get("ONBOARDING_CHROMIUM")
    if explicit:
        return explicit
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_chromium_installed() -> bool:
    """Tell whether Playwright's own Chromium build is on disk."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        return os.path.exists(pw.chromium.executable_path)


def ensure() -> int:
    """Make sure some Chromium is available; install Playwright's when there is none."""
    found = system_chromium()
    if found:
        print(f"browser journeys use the system Chromium at {found}")
        return 0
    if playwright_chromium_installed():
        print("browser journeys use Playwright's Chromium")
        return 0
    print("no Chromium found: installing Playwright's Chromium")
    return subprocess.call([sys.executable, "-m", "playwright", "install", "chromium"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ensure", action="store_true", help="install a Chromium if none exists")
    args = parser.parse_args()
    sys.exit(ensure() if args.ensure else 0)
