"""Render the shims from a :class:`ShimsConfig` and write them without ever leaving half a tree."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from webview_shims.config import ShimsConfig
from webview_shims.escaping import FILTERS

TEMPLATES_DIR = Path(__file__).with_name("templates")
DEFAULT_OUTPUT_DIR = Path(__file__).with_name("generated")

# The generator replaces its output directory as a whole. This file marks a directory as ours, so
# `--out ~/src` by mistake fails instead of deleting someone's work.
MARKER_NAME = "WEBVIEW_SHIMS_GENERATED.txt"
MARKER_TEXT = (
    "This directory is written by `onboarding-kit shims generate` and replaced as a whole on "
    "every run.\nChange shims.toml and generate again instead of editing these files.\n"
)


@dataclass(frozen=True)
class OutputFile:
    """One file of the output: where it goes, which template renders it, and when it exists."""

    path: str
    template: str
    platform: str | None = None
    when: Callable[[ShimsConfig], bool] | None = None

    def wanted(self, config: ShimsConfig) -> bool:
        """Tell whether this file belongs in the output for ``config``."""
        if self.platform is not None and self.platform not in config.platforms:
            return False
        return self.when is None or self.when(config)


def _uploads(config: ShimsConfig) -> bool:
    return config.file_upload


def _app_links(config: ShimsConfig) -> bool:
    return bool(config.https_return_urls)


OUTPUT_FILES: tuple[OutputFile, ...] = (
    OutputFile("README.md", "common/README.md.j2"),
    OutputFile("ios/WiseOnboardingPolicy.swift", "ios/WiseOnboardingPolicy.swift.j2", "ios"),
    OutputFile(
        "ios/WiseOnboardingViewController.swift",
        "ios/WiseOnboardingViewController.swift.j2",
        "ios",
    ),
    OutputFile("ios/WiseOnboardingView.swift", "ios/WiseOnboardingView.swift.j2", "ios"),
    OutputFile(
        "ios/WiseOnboardingAuthSession.swift", "ios/WiseOnboardingAuthSession.swift.j2", "ios"
    ),
    OutputFile("ios/Info.plist", "ios/Info.plist.j2", "ios"),
    OutputFile(
        "ios/WiseOnboarding.entitlements",
        "ios/WiseOnboarding.entitlements.j2",
        "ios",
        _app_links,
    ),
    OutputFile("ios/README.md", "ios/README.md.j2", "ios"),
    OutputFile("android/WiseOnboardingPolicy.kt", "android/WiseOnboardingPolicy.kt.j2", "android"),
    OutputFile(
        "android/WiseOnboardingActivity.kt", "android/WiseOnboardingActivity.kt.j2", "android"
    ),
    OutputFile(
        "android/WiseOnboardingCustomTabs.kt",
        "android/WiseOnboardingCustomTabs.kt.j2",
        "android",
    ),
    OutputFile(
        "android/WiseOnboardingFileProvider.kt",
        "android/WiseOnboardingFileProvider.kt.j2",
        "android",
        _uploads,
    ),
    OutputFile("android/AndroidManifest.xml", "android/AndroidManifest.xml.j2", "android"),
    OutputFile(
        "android/res/xml/wise_onboarding_file_paths.xml",
        "android/wise_onboarding_file_paths.xml.j2",
        "android",
        _uploads,
    ),
    OutputFile("android/README.md", "android/README.md.j2", "android"),
    OutputFile(
        "react-native/WiseOnboardingWebView.tsx",
        "react_native/WiseOnboardingWebView.tsx.j2",
        "react_native",
    ),
    OutputFile("react-native/README.md", "react_native/README.md.j2", "react_native"),
    OutputFile(
        "flutter/wise_onboarding_webview.dart",
        "flutter/wise_onboarding_webview.dart.j2",
        "flutter",
    ),
    OutputFile("flutter/README.md", "flutter/README.md.j2", "flutter"),
    OutputFile(
        "quickstart/WebViewConfigurationQuickStart.swift",
        "quickstart/WebViewConfigurationQuickStart.swift.j2",
        "ios",
    ),
    OutputFile(
        "quickstart/PermissionQuickStart.kt", "quickstart/PermissionQuickStart.kt.j2", "android"
    ),
    OutputFile("quickstart/README.md", "quickstart/README.md.j2"),
)


def make_environment(loader: FileSystemLoader | None = None) -> Environment:
    """Build the one Jinja environment: strict about missing values, no HTML autoescaping.

    Autoescaping is off because none of the targets is HTML; each value goes through the
    escaping filter of its own language instead (see ``escaping.py``).
    """
    env = Environment(
        loader=loader or FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - no HTML output; per-language filters escape values
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def render_files(config: ShimsConfig, env: Environment | None = None) -> dict[str, str]:
    """Render every output file for ``config`` into memory, keyed by relative path."""
    env = env or make_environment()
    files = {MARKER_NAME: MARKER_TEXT}
    for output in OUTPUT_FILES:
        if output.wanted(config):
            files[output.path] = env.get_template(output.template).render(config=config)
    return files


class OutputDirError(RuntimeError):
    """The output directory exists but was not written by this generator."""


def write_tree(files: Mapping[str, str], out_dir: Path) -> None:
    """Replace ``out_dir`` with exactly ``files``.

    Everything is written into a temporary sibling directory first and swapped in with renames,
    so a failure at any point leaves the previous output as it was.
    """
    out_dir = out_dir.resolve()
    if out_dir.exists() and not _is_ours(out_dir):
        raise OutputDirError(
            f"{out_dir} exists and was not written by this generator (no {MARKER_NAME}); "
            "choose an empty or new directory"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for relative, text in sorted(files.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            # newline="" writes "\n" as is on every OS, so the output is byte-identical.
            with target.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        staging.chmod(0o755)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _is_ours(path: Path) -> bool:
    return path.is_dir() and (not any(path.iterdir()) or (path / MARKER_NAME).is_file())


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    backup.rmdir()
    os.replace(out_dir, backup)
    try:
        os.replace(staging, out_dir)
    except BaseException:
        os.replace(backup, out_dir)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def read_tree(out_dir: Path) -> dict[str, str]:
    """Read every file under ``out_dir`` as text, keyed by relative POSIX path."""
    found: dict[str, str] = {}
    if not out_dir.is_dir():
        return found
    for path in sorted(out_dir.rglob("*")):
        if path.is_file():
            relative = path.relative_to(out_dir).as_posix()
            found[relative] = path.read_bytes().decode("utf-8", errors="replace")
    return found


def diff_tree(expected: Mapping[str, str], out_dir: Path, context_lines: int = 40) -> list[str]:
    """Describe how ``out_dir`` differs from ``expected``; an empty list means identical."""
    actual = read_tree(out_dir)
    lines: list[str] = []
    for relative in sorted(expected.keys() - actual.keys()):
        lines.append(f"missing:    {relative}")
    for relative in sorted(actual.keys() - expected.keys()):
        lines.append(f"unexpected: {relative}")
    for relative in sorted(expected.keys() & actual.keys()):
        if expected[relative] == actual[relative]:
            continue
        diff = list(
            difflib.unified_diff(
                actual[relative].splitlines(),
                expected[relative].splitlines(),
                fromfile=f"committed/{relative}",
                tofile=f"fresh/{relative}",
                lineterm="",
            )
        )
        added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
        removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
        lines.append(f"changed:    {relative} (+{added} -{removed})")
        shown = diff[:context_lines]
        lines.extend("    " + d for d in shown)
        if len(diff) > len(shown):
            lines.append(f"    ... {len(diff) - len(shown)} more diff lines")
    return lines
