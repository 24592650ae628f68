"""docs/emulator.md stays inside the repository, and its example agrees with the kit and the CLI."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from backend.settings import load_settings
from sample_app.wise_emulator.cli import emulator

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "emulator.md"
# A backticked token that names a file or folder: a relative path ending in an extension or "/".
FILE_REFERENCE = re.compile(
    r"`([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*(?:\.(?:md|py|toml|json|html|js|css)|/))`"
)
MARKDOWN_LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def kit_default_redirect_uri() -> str:
    """The redirect URI the kit sends to Wise when run with its defaults."""
    return load_settings({"ONBOARDING_ENV": "development"}).wise_redirect_uri


def example_command() -> list[str]:
    """The ``onboarding-kit emulator ...`` line of the doc's "Running it" example."""
    [line] = [
        line for line in DOC.read_text().splitlines() if line.startswith("onboarding-kit emulator")
    ]
    return shlex.split(line)[2:]


def test_the_doc_names_only_files_in_the_repository() -> None:
    text = DOC.read_text()
    named = FILE_REFERENCE.findall(text) + [
        target for target in MARKDOWN_LINK.findall(text) if "://" not in target
    ]
    assert named, "the pattern should find the doc's own file references"
    missing = [
        name for name in named if not (ROOT / name).exists() and not (DOC.parent / name).exists()
    ]
    assert missing == []


def test_the_example_registers_the_kits_default_callback() -> None:
    params = emulator.make_context("emulator", example_command()).params
    assert list(params["redirect_uris"]) == [kit_default_redirect_uri()]
    assert kit_default_redirect_uri().endswith("/oauth/wise/callback")


def test_the_cli_defaults_accept_a_kit_started_with_its_defaults() -> None:
    params = emulator.make_context("emulator", []).params
    assert list(params["redirect_uris"]) == [kit_default_redirect_uri()]
    assert params["port"] == 5001
