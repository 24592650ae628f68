"""The generated READMEs render as intended: code spans close where they should, and the Android
file table names one whole path.

Markdown is read with CommonMark's code-span rule (a span closes at the next run of exactly as many
backticks), so a template that wraps only part of a path in a span is caught, not just a stray
backtick.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.shims.conftest import CONFIG_PATHS, rendered
from webview_shims.config import load_config


@dataclass(frozen=True)
class Piece:
    """A run of a Markdown line: code (the span's content) or plain text."""

    code: bool
    text: str


def inline_pieces(line: str) -> list[Piece]:
    """Split one line into code spans and the text between them, as CommonMark does."""
    pieces: list[Piece] = []
    plain = ""
    i = 0
    while i < len(line):
        if line[i] != "`":
            plain += line[i]
            i += 1
            continue
        run = len(line[i:]) - len(line[i:].lstrip("`"))
        close = _closing_run(line, i + run, run)
        if close is None:
            # An unmatched run is literal text.
            plain += "`" * run
            i += run
            continue
        if plain:
            pieces.append(Piece(False, plain))
            plain = ""
        content = line[i + run : close]
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        pieces.append(Piece(True, content))
        i = close + run
    if plain:
        pieces.append(Piece(False, plain))
    return pieces


def _closing_run(line: str, start: int, length: int) -> int | None:
    i = start
    while i < len(line):
        if line[i] == "`":
            run = len(line[i:]) - len(line[i:].lstrip("`"))
            if run == length:
                return i
            i += run
        else:
            i += 1
    return None


def table_cells(line: str) -> list[list[Piece]]:
    """The cells of a table row, split on the pipes that are not inside a code span."""
    cells: list[list[Piece]] = [[]]
    for piece in inline_pieces(line.strip().strip("|")):
        if piece.code:
            cells[-1].append(piece)
            continue
        parts = piece.text.split("|")
        for index, part in enumerate(parts):
            if index:
                cells.append([])
            if part.strip():
                cells[-1].append(Piece(False, part.strip()))
    return cells


def prose_lines(markdown: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


README_CASES = [
    (name, relative)
    for name in sorted(CONFIG_PATHS)
    for relative in sorted(rendered(name))
    if relative.endswith("README.md")
]


@pytest.mark.parametrize(
    ("name", "relative"), README_CASES, ids=[f"{n}-{r}" for n, r in README_CASES]
)
def test_every_backtick_belongs_to_a_code_span(name: str, relative: str) -> None:
    for line in prose_lines(rendered(name)[relative]):
        stray = [p.text for p in inline_pieces(line) if not p.code and "`" in p.text]
        assert stray == [], f"{relative}: unmatched backtick in {line!r}"


@pytest.mark.parametrize("name", sorted(CONFIG_PATHS))
def test_android_file_table_names_the_source_folder_as_one_path(name: str) -> None:
    config = load_config(CONFIG_PATHS[name])
    assert config.android_package is not None
    folder = "app/src/main/java/" + config.android_package.replace(".", "/") + "/wiseonboarding/"
    rows = [
        table_cells(line)
        for line in prose_lines(rendered(name)["android/README.md"])
        if line.startswith("| `WiseOnboardingPolicy.kt`")
    ]
    assert len(rows) == 1, "one row for the Kotlin sources"
    destination = rows[0][1]
    assert destination == [Piece(True, folder)]


def test_the_reader_sees_a_path_split_across_spans() -> None:
    # The shape the table had when only the package part was a code span.
    broken = "| a.kt | `app/src/main/java/`com/example/wiseonboarding`/` |"
    assert table_cells(broken)[1] == [
        Piece(True, "app/src/main/java/"),
        Piece(False, "com/example/wiseonboarding"),
        Piece(True, "/"),
    ]


def _prose(markdown: str) -> str:
    """The text with its line breaks and indentation folded, as a reader sees a paragraph."""
    return " ".join(markdown.split())


@pytest.mark.parametrize("name", sorted(CONFIG_PATHS))
def test_platforms_that_cannot_refuse_uploads_say_so(name: str) -> None:
    # permissions.file_upload = false must never be a silent no-op.
    files = rendered(name)
    for relative in ("react-native/README.md", "flutter/README.md"):
        assert "`permissions.file_upload` cannot be enforced here" in _prose(files[relative])
    ios = _prose(files["ios/README.md"])
    if not load_config(CONFIG_PATHS[name]).file_upload:
        assert "iOS cannot enforce that: WKWebView has no API to refuse" in ios
        for relative in ("react-native/README.md", "flutter/README.md"):
            assert "Uploads are off in `shims.toml`, but pages can still offer them" in _prose(
                files[relative]
            )


def test_overview_says_which_platforms_can_turn_uploads_off() -> None:
    overview = _prose(Path(__file__).parents[2].joinpath("webview_shims/README.md").read_text())
    assert "only the Android shim can turn uploads off" in overview
    assert overview.count("**Uploads cannot be turned off:**") == 3  # iOS, React Native, Flutter


@pytest.mark.parametrize("name", sorted(CONFIG_PATHS))
def test_react_native_readme_states_what_android_grants(name: str) -> None:
    readme = _prose(rendered(name)["react-native/README.md"])
    assert "Only the top frame is restricted." in readme
    assert (
        "grants capture to **any origin that asks, including frames from untrusted origins "
        "inside a trusted page**" in readme
    )
    assert "`isTopFrame` is undefined there" in readme
