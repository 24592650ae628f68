"""Every generated file parses: Swift, Kotlin, TSX and Dart with tree-sitter, XML and plists."""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.shims.conftest import CONFIG_PATHS, code_files, rendered
from tests.shims.syntax import parse_bytes, parse_file, syntax_problems

CODE_FILES = code_files()


@pytest.mark.parametrize(
    ("config", "relative"), CODE_FILES, ids=[f"{c}-{r}" for c, r in CODE_FILES]
)
def test_generated_code_has_no_syntax_error(render_dir: Path, config: str, relative: str) -> None:
    problems = syntax_problems(parse_file(render_dir / config / relative))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("suffix", "broken"),
    [
        (".swift", "let x = WKWebView(frame: .zero, configuration: c\n"),
        (".kt", 'fun f() { val x = setOf("a" }\n'),
        (".tsx", "const x = <WebView source={source} ;\n"),
        (".dart", "const x = {'a';\n"),
    ],
)
def test_the_parse_check_does_catch_errors(suffix: str, broken: str) -> None:
    # The grammars recover from errors silently; this makes sure they are reported.
    assert syntax_problems(parse_bytes(broken.encode(), suffix)) != []


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_generated_xml_and_plists_parse(config: str) -> None:
    files = rendered(config)
    xml_files = [name for name in files if name.endswith(".xml")]
    assert xml_files, "the Android manifest at least"
    for name in xml_files:
        ET.fromstring(files[name].encode("utf-8"))
    plist = plistlib.loads(files["ios/Info.plist"].encode("utf-8"))
    assert "NSCameraUsageDescription" in plist
