"""Rendering, the committed and golden output, atomic writes and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, UndefinedError

from tests.shims.conftest import GOLDEN_CONFIG_PATH, GOLDEN_OUTPUT_DIR, rendered
from webview_shims.cli import shims
from webview_shims.config import DEFAULT_CONFIG_PATH, ShimsConfig
from webview_shims.render import (
    DEFAULT_OUTPUT_DIR,
    MARKER_NAME,
    OUTPUT_FILES,
    TEMPLATES_DIR,
    OutputDirError,
    diff_tree,
    make_environment,
    read_tree,
    render_files,
    write_tree,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_committed_default_output_is_fresh() -> None:
    differences = diff_tree(rendered("default"), DEFAULT_OUTPUT_DIR)
    assert differences == [], "run `onboarding-kit shims generate`:\n" + "\n".join(differences)


def test_golden_output_matches_a_fresh_render() -> None:
    differences = diff_tree(rendered("golden"), GOLDEN_OUTPUT_DIR)
    assert differences == [], (
        "run `onboarding-kit shims generate --config tests/shims/golden/shims.toml "
        "--out tests/shims/golden/output` and review the diff:\n" + "\n".join(differences)
    )


def test_golden_config_is_the_non_default_case(golden_config: ShimsConfig) -> None:
    assert len(golden_config.trusted_origins) == 2
    assert golden_config.system_browser_return_url.is_custom_scheme
    assert golden_config.microphone
    assert not golden_config.file_upload
    files = rendered("golden")
    # Uploads off: no FileProvider paths, no photo-library key, no file chooser.
    assert "android/res/xml/wise_onboarding_file_paths.xml" not in files
    assert "NSPhotoLibraryUsageDescription" not in files["ios/Info.plist"]
    assert "onShowFileChooser" not in files["android/WiseOnboardingActivity.kt"]
    # Microphone on: its Info.plist key and Android permission.
    assert "NSMicrophoneUsageDescription" in files["ios/Info.plist"]
    assert "android.permission.RECORD_AUDIO" in files["android/AndroidManifest.xml"]


def test_render_is_deterministic(default_config: ShimsConfig) -> None:
    assert render_files(default_config) == render_files(default_config)


def test_only_selected_platforms_are_written(default_config: ShimsConfig) -> None:
    from dataclasses import replace

    files = render_files(replace(default_config, platforms=("flutter",)))
    assert set(files) == {
        MARKER_NAME,
        "README.md",
        "flutter/README.md",
        "flutter/wise_onboarding_webview.dart",
        "quickstart/README.md",
    }


def test_every_template_is_used() -> None:
    used = {output.template for output in OUTPUT_FILES}
    on_disk = {p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.j2")}
    assert used == on_disk


def test_write_tree_replaces_the_whole_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree({MARKER_NAME: "x", "a/old.txt": "old"}, out)
    write_tree({MARKER_NAME: "x", "b/new.txt": "new"}, out)
    assert read_tree(out) == {MARKER_NAME: "x", "b/new.txt": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no temporary directory left"


def _broken_environment() -> Environment:
    # The real templates, except that one of them needs a value the config does not have.
    broken = DictLoader({"flutter/README.md.j2": "{{ config.no_such_setting | md_code }}\n"})
    env = make_environment()
    env.loader = ChoiceLoader([broken, FileSystemLoader(TEMPLATES_DIR)])
    return env


def test_failing_render_leaves_the_previous_output_untouched(
    tmp_path: Path, default_config: ShimsConfig
) -> None:
    out = tmp_path / "generated"
    write_tree(render_files(default_config), out)
    before = read_tree(out)
    with pytest.raises(UndefinedError):
        write_tree(render_files(default_config, _broken_environment()), out)
    assert read_tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def test_failing_write_leaves_the_previous_output_untouched(
    tmp_path: Path, default_config: ShimsConfig
) -> None:
    out = tmp_path / "generated"
    write_tree(render_files(default_config), out)
    before = read_tree(out)
    # "ios" is a file and then a directory: the second write fails halfway through.
    files = {**render_files(default_config), "ios": "not a directory"}
    with pytest.raises((FileExistsError, NotADirectoryError)):
        write_tree(files, out)
    assert read_tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def test_refuses_to_replace_a_directory_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "precious.swift").write_text("// mine", encoding="utf-8")
    with pytest.raises(OutputDirError, match=MARKER_NAME):
        write_tree({MARKER_NAME: "x"}, tmp_path / "src")
    assert (tmp_path / "src" / "precious.swift").read_text(encoding="utf-8") == "// mine"


def test_cli_generate_then_check(tmp_path: Path) -> None:
    out = tmp_path / "shims"
    runner = CliRunner()
    result = runner.invoke(
        shims, ["generate", "--config", str(GOLDEN_CONFIG_PATH), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 21 files" in result.output
    result = runner.invoke(shims, ["check", "--config", str(GOLDEN_CONFIG_PATH), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_cli_check_fails_with_a_readable_diff(tmp_path: Path) -> None:
    out = tmp_path / "shims"
    runner = CliRunner()
    runner.invoke(shims, ["generate", "--config", str(DEFAULT_CONFIG_PATH), "--out", str(out)])
    policy = out / "ios" / "WiseOnboardingPolicy.swift"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace('"https://wise.com",', '"https://evil.example",')
    )
    (out / "ios" / "WiseOnboardingView.swift").unlink()
    (out / "extra.txt").write_text("stray", encoding="utf-8")
    result = runner.invoke(
        shims, ["check", "--config", str(DEFAULT_CONFIG_PATH), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "missing:    ios/WiseOnboardingView.swift" in result.output
    assert "unexpected: extra.txt" in result.output
    assert "changed:    ios/WiseOnboardingPolicy.swift (+1 -1)" in result.output
    assert '+        "https://wise.com",' in result.output
    assert "onboarding-kit shims generate" in result.output


def test_cli_reports_a_bad_config_by_field(tmp_path: Path) -> None:
    config = tmp_path / "shims.toml"
    config.write_text(
        '[app]\nname = "A"\n[web]\ntrusted_origins = ["http://wise.com"]\n'
        'return_urls = ["a://b"]\n[generate]\nplatforms = ["flutter"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        shims, ["generate", "--config", str(config), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "web.trusted_origins[0]" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_names_an_invalid_toml_file_once(tmp_path: Path) -> None:
    config = tmp_path / "shims.toml"
    config.write_text("[app\n", encoding="utf-8")
    result = CliRunner().invoke(
        shims, ["generate", "--config", str(config), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "not valid TOML" in result.output
    assert result.output.count(str(config)) == 1, result.output


def test_onboarding_kit_command_wires_the_group() -> None:
    from backend.cli import main

    result = CliRunner().invoke(main, ["shims", "check"])
    assert result.exit_code == 0, result.output


def test_generator_does_not_import_the_backend() -> None:
    code = (
        "import sys, webview_shims.cli;"
        "bad = [m for m in sys.modules if m == 'backend' or m.startswith('backend.')];"
        "assert not bad, bad"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT, env=env)
