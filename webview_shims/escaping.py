"""Jinja filters that turn a config value into a complete literal for one target language.

Each filter returns the literal *with* its quotes, so a template cannot forget them, and escapes
everything the language could read as code: Swift's ``\\(``, Kotlin's and Dart's ``$``, quotes,
backslashes, line breaks. Anything outside printable ASCII is written as an escape, so the files
stay ASCII whatever the app's name is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from webview_shims.config import PACKAGE_SEGMENT_RE, RESERVED_WORDS


def _escape(value: str, table: dict[str, str], fallback: Callable[[int], str]) -> str:
    out = []
    for ch in value:
        if ch in table:
            out.append(table[ch])
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        else:
            out.append(fallback(ord(ch)))
    return "".join(out)


def _utf16_units(code: int) -> list[int]:
    if code < 0x10000:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


def swift_str(value: str) -> str:
    """A Swift string literal ``"..."`` with ``\\u{..}`` escapes; ``\\(`` cannot interpolate."""
    table = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
    return '"' + _escape(value, table, lambda c: f"\\u{{{c:X}}}") + '"'


def kotlin_str(value: str) -> str:
    """A Kotlin string literal: ``"..."`` with ``$`` escaped, so ``${x}`` stays text."""
    table = {"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return (
        '"' + _escape(value, table, lambda c: "".join(f"\\u{u:04X}" for u in _utf16_units(c))) + '"'
    )


def ts_str(value: str) -> str:
    """A TypeScript string literal in single quotes, for expression positions only.

    Never use it inside a JSX attribute written as ``attr="..."``: JSX does not read escapes
    there. Write ``attr={...}`` instead.
    """
    table = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return (
        "'" + _escape(value, table, lambda c: "".join(f"\\u{u:04X}" for u in _utf16_units(c))) + "'"
    )


def dart_str(value: str) -> str:
    """A Dart string literal in single quotes with ``$`` escaped, so ``$name`` stays text."""
    table = {"\\": "\\\\", "'": "\\'", "$": "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "'" + _escape(value, table, lambda c: f"\\u{{{c:X}}}") + "'"


def _xml_text(value: str) -> str:
    # XML 1.0 cannot carry most control characters at all, not even as references.
    if any(ord(ch) < 0x20 and ch not in "\t\n\r" for ch in value):
        raise ValueError(f"control character in XML value {value!r}")
    table = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
    return _escape(value, table, lambda c: f"&#x{c:X};")


def xml_attr(value: str) -> str:
    """An XML attribute value with its double quotes: ``"..."``."""
    return '"' + _xml_text(value) + '"'


def plist_str(value: str) -> str:
    """A property-list ``<string>`` element holding ``value``."""
    return "<string>" + _xml_text(value) + "</string>"


def md_code(value: str) -> str:
    """A Markdown code span, fenced with more backticks than the value contains."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"line break in Markdown code span {value!r}")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def kotlin_package(value: str) -> str:
    """A Kotlin package name, checked again here because it is written as code, not a string."""
    segments = value.split(".")
    if not all(PACKAGE_SEGMENT_RE.match(s) and s not in RESERVED_WORDS for s in segments):
        raise ValueError(f"not a Kotlin package name: {value!r}")
    return value


def bool_lit(value: bool) -> str:
    """``true`` or ``false``, the same in Swift, Kotlin, TypeScript and Dart; refuses non-bools."""
    if not isinstance(value, bool):
        raise ValueError(f"not a boolean: {value!r}")
    return "true" if value else "false"


FILTERS: dict[str, Callable[[Any], str]] = {
    "bool_lit": bool_lit,
    "swift_str": swift_str,
    "kotlin_str": kotlin_str,
    "ts_str": ts_str,
    "dart_str": dart_str,
    "xml_attr": xml_attr,
    "plist_str": plist_str,
    "md_code": md_code,
    "kotlin_package": kotlin_package,
}

# Which filters may produce output in which kind of template (by the name before ``.j2``). A test
# walks every template and fails on any ``{{ }}`` that is not wrapped in one of these.
FILTERS_BY_SUFFIX: dict[str, frozenset[str]] = {
    ".swift": frozenset({"swift_str", "bool_lit"}),
    ".kt": frozenset({"kotlin_str", "kotlin_package", "bool_lit"}),
    ".tsx": frozenset({"ts_str", "bool_lit"}),
    ".dart": frozenset({"dart_str", "bool_lit"}),
    ".xml": frozenset({"xml_attr"}),
    ".plist": frozenset({"plist_str"}),
    ".entitlements": frozenset({"plist_str"}),
    ".md": frozenset({"md_code"}),
    "": frozenset(),
}
