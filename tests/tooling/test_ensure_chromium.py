"""``python -m tests.support.browser --ensure`` (run by ``make test``) on machines without Chromium.

The package manager is faked by executables in a temporary folder that is the whole ``PATH``, so
no real Chromium is found and nothing is installed; each fake records how it was called.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sample_app.serving import free_port
from tests.support import browser

ROOT = Path(__file__).resolve().parents[2]


class FakeSystem:
    """A ``PATH`` holding fake ``apt-get`` / ``sudo``, and the log of their calls."""

    def __init__(self, folder: Path) -> None:
        self.bin = folder / "bin"
        self.bin.mkdir()
        self.log = folder / "calls.log"
        self.log.touch()

    def script(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "{self.log}"\n{body}\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def apt_get(self, *, installs: bool = True) -> None:
        """``apt-get``: ``install`` puts an executable ``chromium`` on the PATH (or fails)."""
        chromium = self.bin / "chromium"
        install = (
            f'printf "#!/bin/sh\\n" > "{chromium}"; /bin/chmod +x "{chromium}"; exit 0'
            if installs
            else 'echo "E: Unable to locate package chromium" >&2; exit 100'
        )
        self.script("apt-get", f'if [ "$1" = install ]; then {install}; fi\nexit 0')

    def sudo(self, *, passwordless: bool) -> None:
        """``sudo``: runs the command when no password is needed, else refuses like ``-n`` does."""
        if passwordless:
            self.script("sudo", '[ "$1" = -n ] && shift\n[ "$1" = true ] && exit 0\nexec "$@"')
        else:
            self.script("sudo", 'echo "sudo: a password is required" >&2; exit 1')

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSystem:
    """A machine with no Chromium: nothing but the fakes on PATH."""
    fake = FakeSystem(tmp_path)
    monkeypatch.setenv("PATH", str(fake.bin))
    assert browser.system_chromium() is None
    return fake


def test_root_installs_chromium_with_apt_get(
    system: FakeSystem, capfd: pytest.CaptureFixture[str]
) -> None:
    system.apt_get()
    assert browser.install_system_chromium(root=True) == 0
    assert system.calls() == ["apt-get update", "apt-get install -y chromium"]
    assert browser.system_chromium() == str(system.bin / "chromium")
    assert "apt-get install -y chromium" in capfd.readouterr().out


def test_without_root_passwordless_sudo_runs_apt_get(system: FakeSystem) -> None:
    system.apt_get()
    system.sudo(passwordless=True)
    assert browser.install_system_chromium(root=False) == 0
    assert system.calls() == [
        "sudo -n true",
        "sudo -n apt-get update",
        "apt-get update",
        "sudo -n apt-get install -y chromium",
        "apt-get install -y chromium",
    ]
    assert browser.system_chromium() == str(system.bin / "chromium")


def test_without_root_or_passwordless_sudo_prints_the_command(
    system: FakeSystem, capfd: pytest.CaptureFixture[str]
) -> None:
    system.apt_get()
    system.sudo(passwordless=False)
    assert browser.install_system_chromium(root=False) != 0
    assert system.calls() == ["sudo -n true"]  # asked, never prompted, installed nothing
    err = capfd.readouterr().err
    assert "sudo apt-get update && sudo apt-get install -y chromium" in err
    assert "ONBOARDING_CHROMIUM" in err


def test_a_failed_apt_get_install_prints_the_command(
    system: FakeSystem, capfd: pytest.CaptureFixture[str]
) -> None:
    system.apt_get(installs=False)
    assert browser.install_system_chromium(root=True) != 0
    err = capfd.readouterr().err
    assert "apt-get install -y chromium did not install Chromium" in err
    assert "sudo apt-get update && sudo apt-get install -y chromium" in err


def test_without_apt_get_says_what_to_do(
    system: FakeSystem, capfd: pytest.CaptureFixture[str]
) -> None:
    system.sudo(passwordless=True)
    assert browser.install_system_chromium(root=True) != 0
    assert browser.install_system_chromium(root=False) != 0
    assert system.calls() == []
    err = capfd.readouterr().err
    assert "package manager" in err
    assert "ONBOARDING_CHROMIUM" in err


def test_ensure_falls_back_to_apt_get_when_playwrights_download_fails(tmp_path: Path) -> None:
    system = FakeSystem(tmp_path)
    system.apt_get()
    system.sudo(passwordless=True)  # used only when the test does not run as root
    env = {
        "PATH": str(system.bin),
        "HOME": str(tmp_path),
        # Playwright's own browsers live in an empty folder, and its download server is a port
        # where nothing listens: the download fails as on a network that does not reach it.
        "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "playwright-browsers"),
        "PLAYWRIGHT_DOWNLOAD_HOST": f"http://127.0.0.1:{free_port()}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.browser", "--ensure"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "installing Playwright's Chromium" in result.stdout
    assert "could not be downloaded" in result.stderr
    assert system.calls()[-1] == "apt-get install -y chromium"
    assert f"system Chromium at {system.bin / 'chromium'}" in result.stdout
