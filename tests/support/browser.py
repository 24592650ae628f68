"""Find the Chromium that the browser journeys drive, and install one if none exists.

Order: ``ONBOARDING_CHROMIUM`` (a path), a system Chromium on ``PATH``, then the Chromium that
``playwright install chromium`` downloads. Run ``python -m tests.support.browser --ensure`` to make
sure one of them is present (``make test`` does this). When Playwright's download fails (a network
that does not reach its servers), the system's Chromium is installed with apt-get where this
process may (as root, or through passwordless sudo); otherwise the command to run is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
APT_PACKAGE = "chromium"

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


def is_root() -> bool:
    """Tell whether this process runs as root (where there is such a thing)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_commands(*, root: bool) -> list[list[str]] | None:
    """The apt-get commands this process may run to install Chromium, or None when it may not.

    Root runs apt-get itself; anyone else only through sudo that asks for no password (``-n``
    fails instead of prompting, so ``make test`` never hangs on a password prompt).
    """
    if shutil.which("apt-get") is None:
        return None
    update, install = ["apt-get", "update"], ["apt-get", "install", "-y", APT_PACKAGE]
    if root:
        return [update, install]
    if shutil.which("sudo") is None:
        return None
    if subprocess.call(["sudo", "-n", "true"], stderr=subprocess.DEVNULL) != 0:
        return None
    return [["sudo", "-n", *update], ["sudo", "-n", *install]]


def manual_instructions() -> str:
    """What a person should run when nothing could be installed from here."""
    if shutil.which("apt-get"):
        how = f"  sudo apt-get update && sudo apt-get install -y {APT_PACKAGE}"
    else:
        how = "  install Chromium with your system's package manager (e.g. brew install chromium)"
    return (
        "no Chromium for the browser tests, and none could be installed from here. Run:\n"
        f"{how}\n"
        "then run make test again, or point ONBOARDING_CHROMIUM at a Chrome or Chromium binary."
    )


def install_system_chromium(*, root: bool) -> int:
    """Install the system's Chromium with apt-get if this process may; otherwise say how."""
    commands = apt_commands(root=root)
    if commands is None:
        print(manual_instructions(), file=sys.stderr)
        return 1
    update, install = commands
    print("installing the system's Chromium: " + " ".join(install))
    # A fresh machine may have no package lists yet; a failed update is not fatal by itself.
    subprocess.call(update)
    found = system_chromium() if subprocess.call(install) == 0 else None
    if found is None:
        print(f"{' '.join(install)} did not install Chromium.", file=sys.stderr)
        print(manual_instructions(), file=sys.stderr)
        return 1
    print(f"browser journeys use the system Chromium at {found}")
    return 0


def ensure() -> int:
    """Make sure some Chromium is available; install one when there is none."""
    found = system_chromium()
    if found:
        print(f"browser journeys use the system Chromium at {found}")
        return 0
    if playwright_chromium_installed():
        print("browser journeys use Playwright's Chromium")
        return 0
    print("no Chromium found: installing Playwright's Chromium")
    if subprocess.call([sys.executable, "-m", "playwright", "install", "chromium"]) == 0:
        return 0
    print("Playwright's Chromium could not be downloaded", file=sys.stderr)
    return install_system_chromium(root=is_root())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ensure", action="store_true", help="install a Chromium if none exists")
    args = parser.parse_args()
    sys.exit(ensure() if args.ensure else 0)
