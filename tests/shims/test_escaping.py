"""The escaping filters, and an audit that every template value goes through the right one."""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from jinja2 import nodes

from tests.shims.syntax import parse_bytes, strings_in, syntax_problems
from webview_shims.escaping import (
    FILTERS_BY_SUFFIX,
    bool_lit,
    dart_str,
    kotlin_package,
    kotlin_str,
    md_code,
    plist_str,
    swift_str,
    ts_str,
    xml_attr,
)
from webview_shims.render import TEMPLATES_DIR, make_environment

NASTY = [
    "plain",
    "quote \" and ' apostrophe",
    "back\\slash \\n not a newline",
    "swift \\(interpolation) kotlin ${x} $y dart ${z} $w js `${t}`",
    "line\nbreak\r\ttab \0 nul",
    "unicode é ß 漢字 😀 \u2028 \u2029 \u00a0",
    "*/ /* // # <!-- -->",
]

SNIPPETS: list[tuple[str, Callable[[str], str], str]] = [
    (".swift", swift_str, "let value = {}\n"),
    (".kt", kotlin_str, "val value = {}\n"),
    (".tsx", ts_str, "const value = {};\n"),
    (".dart", dart_str, "const value = {};\n"),
]


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize(
    ("suffix", "escape", "snippet"), SNIPPETS, ids=[s[0].lstrip(".") for s in SNIPPETS]
)
def test_string_filters_round_trip_through_the_parser(
    suffix: str, escape: Callable[[str], str], snippet: str, value: str
) -> None:
    literal = escape(value)
    assert literal.isascii(), "literals are written as ASCII"
    source = parse_bytes(snippet.format(literal).encode(), suffix)
    assert syntax_problems(source) == []
    # decode_string refuses a literal that interpolates code, then undoes the escapes.
    assert strings_in(source, source.root) == [value]


@pytest.mark.parametrize("value", [v for v in NASTY if "\0" not in v])
def test_xml_filters_round_trip_through_a_parser(value: str) -> None:
    element = ET.fromstring(f"<a b={xml_attr(value)}/>")
    # XML normalises \r, \n and \t in attributes to spaces unless they are character references;
    # the filter writes them as references, so they survive.
    assert element.get("b") == value
    document = (
        '<?xml version="1.0"?><plist version="1.0"><dict><key>k</key>'
        f"{plist_str(value)}</dict></plist>"
    ).encode()
    assert plistlib.loads(document)["k"] == value


def test_xml_refuses_characters_xml_cannot_carry() -> None:
    with pytest.raises(ValueError, match="control character"):
        xml_attr("a\0b")


def test_md_code_fences_longer_than_the_content() -> None:
    assert md_code("plain") == "`plain`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    with pytest.raises(ValueError, match="line break"):
        md_code("a\nb")


def test_code_filters_refuse_what_they_cannot_write() -> None:
    assert bool_lit(True) == "true"
    with pytest.raises(ValueError, match="not a boolean"):
        bool_lit("true")  # type: ignore[arg-type]
    assert kotlin_package("com.acme.app") == "com.acme.app"
    with pytest.raises(ValueError, match="not a Kotlin package"):
        kotlin_package("com.acme.in")


def _outputs(template: nodes.Template) -> list[nodes.Expr]:
    found: list[nodes.Expr] = []
    for output in template.find_all(nodes.Output):
        found.extend(n for n in output.nodes if not isinstance(n, nodes.TemplateData))
    return found


TEMPLATE_PATHS = sorted(p for p in TEMPLATES_DIR.rglob("*.j2"))


@pytest.mark.parametrize(
    "path", TEMPLATE_PATHS, ids=[p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATE_PATHS]
)
def test_every_template_value_goes_through_its_language_filter(path: Path) -> None:
    suffix = Path(path.stem).suffix  # "X.swift.j2" -> ".swift", "Info.plist.j2" -> ".plist"
    allowed = FILTERS_BY_SUFFIX[suffix]
    env = make_environment()
    template = env.parse(path.read_text(encoding="utf-8"))
    for expression in _outputs(template):
        assert isinstance(expression, nodes.Filter), (
            f"{path.name}:{expression.lineno}: {{{{ }}}} without an escaping filter"
        )
        assert expression.name in allowed, (
            f"{path.name}:{expression.lineno}: filter {expression.name} is not one for {suffix}"
        )
