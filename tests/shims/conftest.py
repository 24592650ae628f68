"""Fixtures for the shim generator tests: the default and golden configs and their renders."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from webview_shims.config import DEFAULT_CONFIG_PATH, ShimsConfig, load_config
from webview_shims.render import DEFAULT_OUTPUT_DIR, render_files

GOLDEN_DIR = Path(__file__).with_name("golden")
GOLDEN_CONFIG_PATH = GOLDEN_DIR / "shims.toml"
GOLDEN_OUTPUT_DIR = GOLDEN_DIR / "output"

CONFIG_PATHS = {"default": DEFAULT_CONFIG_PATH, "golden": GOLDEN_CONFIG_PATH}
COMMITTED_OUTPUT = {"default": DEFAULT_OUTPUT_DIR, "golden": GOLDEN_OUTPUT_DIR}
CODE_SUFFIXES = (".swift", ".kt", ".tsx", ".dart")


def rendered(name: str) -> dict[str, str]:
    """The fresh render of the named config (``default`` or ``golden``)."""
    return render_files(load_config(CONFIG_PATHS[name]))


def code_files() -> list[tuple[str, str]]:
    """(config name, relative path) of every generated source file, for parametrize."""
    return [
        (name, relative)
        for name in CONFIG_PATHS
        for relative in sorted(rendered(name))
        if relative.endswith(CODE_SUFFIXES)
    ]


@pytest.fixture(scope="session")
def default_config() -> ShimsConfig:
    """The documented example config, webview_shims/shims.toml."""
    return load_config(DEFAULT_CONFIG_PATH)


@pytest.fixture(scope="session")
def golden_config() -> ShimsConfig:
    """The non-default golden config."""
    return load_config(GOLDEN_CONFIG_PATH)


@pytest.fixture(scope="session")
def render_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fresh renders of both configs written to disk, one folder per config name."""
    root = tmp_path_factory.mktemp("renders")
    for name in CONFIG_PATHS:
        for relative, text in rendered(name).items():
            target = root / name / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
    return root


# Remember each phase's report on the test item, so fixtures can tell whether the test failed.
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the setup/call/teardown reports on the item (used to keep traces of failures)."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report
