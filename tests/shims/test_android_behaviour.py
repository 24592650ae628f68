"""What the generated Android code does, read from its syntax tree for the default and golden
configs.

The golden files are regenerated with the templates, so they cannot catch a template that stops
doing one of these; these checks say what the code must do whatever the golden files contain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shims.calls import (
    calls,
    calls_to,
    classes,
    supertypes,
)
from tests.shims.conftest import CONFIG_PATHS
from tests.shims.syntax import Source, find_declaration, parse_file, strings_in
from webview_shims.config import load_config

ACTIVITY = "android/WiseOnboardingActivity.kt"
FILE_PROVIDER = "android/WiseOnboardingFileProvider.kt"


def source(render_dir: Path, config: str, relative: str) -> Source:
    """Parse one generated file of one config."""
    return parse_file(render_dir / config / relative)


def _package(src: Source) -> str:
    [header] = [n for n in src.root.children if n.type == "package_header"]
    return src.text(header.named_children[-1])


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_uploads_use_the_shims_own_file_provider(render_dir: Path, config: str) -> None:
    settings = load_config(CONFIG_PATHS[config])
    provider_file = render_dir / config / FILE_PROVIDER
    activity = source(render_dir, config, ACTIVITY)
    uri_calls = calls_to(activity, activity.root, "FileProvider.getUriForFile")
    if not settings.file_upload:
        assert not provider_file.exists()
        assert uri_calls == []
        return
    src = parse_file(provider_file)
    assert _package(src) == _package(activity) == f"{settings.android_package}.wiseonboarding"
    [provider] = classes(src, "WiseOnboardingFileProvider")
    assert supertypes(src, provider) == ["FileProvider()"]
    assert strings_in(src, find_declaration(src, "AUTHORITY_SUFFIX")) == [
        ".wiseonboarding.fileprovider"
    ]
    [uri_call] = uri_calls
    assert uri_call.arguments[1][1].type == "call_expression"
    assert [c.callee for c in calls(activity, uri_call.arguments[1][1])] == [
        "WiseOnboardingFileProvider.authority"
    ]
