"""Tree-sitter helpers for reading the generated Swift, Kotlin, TSX and Dart as syntax trees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter
import tree_sitter_dart
import tree_sitter_kotlin
import tree_sitter_swift
import tree_sitter_typescript

LANGUAGES = {
    ".swift": tree_sitter_swift.language,
    ".kt": tree_sitter_kotlin.language,
    ".tsx": tree_sitter_typescript.language_tsx,
    ".dart": tree_sitter_dart.language,
}

# Per grammar: the node types of a string literal, of an `a && b`, and of an if with a branch.
STRING_TYPES = {
    ".swift": {"line_string_literal"},
    ".kt": {"string_literal"},
    ".tsx": {"string"},
    ".dart": {"string_literal"},
}
IF_TYPES = {
    ".swift": {"if_statement"},
    ".kt": {"if_expression"},
    ".tsx": {"if_statement"},
    ".dart": {"if_statement"},
}
# The only node types a plain string literal is made of. Anything else inside one (Swift's
# "\\(x)", Kotlin's "$x", Dart's '${x}') is interpolated code.
PLAIN_STRING_PARTS = {
    '"',
    "'",
    "\\",
    "u",
    "line_str_text",
    "str_escaped_char",
    "string_content",
    "string_fragment",
    "escape_sequence",
}


@dataclass(frozen=True)
class Source:
    """A parsed file: its path, bytes, suffix and tree."""

    path: Path
    data: bytes
    suffix: str
    tree: tree_sitter.Tree

    @property
    def root(self) -> tree_sitter.Node:
        """The root node."""
        return self.tree.root_node

    def text(self, node: tree_sitter.Node) -> str:
        """The source text of ``node``."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8")

    def where(self, node: tree_sitter.Node) -> str:
        """``file:line`` of ``node``, for failure messages."""
        return f"{self.path}:{node.start_point[0] + 1}"


@cache
def parser_for(suffix: str) -> tree_sitter.Parser:
    """A parser for one of the four languages, by file suffix."""
    return tree_sitter.Parser(tree_sitter.Language(LANGUAGES[suffix]()))


def parse_bytes(data: bytes, suffix: str, path: Path | None = None) -> Source:
    """Parse ``data`` as the language of ``suffix``."""
    return Source(path or Path(f"<snippet>{suffix}"), data, suffix, parser_for(suffix).parse(data))


def parse_file(path: Path) -> Source:
    """Parse a generated file by its suffix."""
    return parse_bytes(path.read_bytes(), path.suffix, path)


def field(node: tree_sitter.Node, name: str) -> tree_sitter.Node:
    """The child in field ``name``; fails the test when the grammar gave none."""
    child = node.child_by_field_name(name)
    assert child is not None, f"{node.type} has no {name}"
    return child


def parent_type(node: tree_sitter.Node) -> str:
    """The type of the parent node, or "" at the root."""
    return node.parent.type if node.parent is not None else ""


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Every node under ``node``, depth first, ``node`` included."""
    yield node
    for child in node.children:
        yield from walk(child)


def syntax_problems(source: Source) -> list[str]:
    """``file:line:col ERROR|MISSING text`` for every error or missing node."""
    problems = []
    for node in walk(source.root):
        if node.is_error or node.is_missing:
            kind = "MISSING" if node.is_missing else "ERROR"
            snippet = source.text(node)[:60].replace("\n", " ")
            problems.append(f"{source.where(node)}:{node.start_point[1] + 1} {kind} {snippet!r}")
    return problems


_ESCAPE = re.compile(r"\\(u\{([0-9A-Fa-f]+)\}|u([0-9A-Fa-f]{4})|.)", re.S)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "b": "\b"}


def decode_string(source: Source, node: tree_sitter.Node) -> str:
    """The value of a plain string literal (no interpolation), with its escapes decoded.

    Decoding works on the literal's text, not on its child nodes: tree-sitter-kotlin 1.1 reads
    ``\\u00E9`` as plain string content rather than an escape node (a grammar quirk, not a
    parse error), and the text is the same either way.
    """
    for inner in walk(node):
        if inner is not node and inner.type not in PLAIN_STRING_PARTS:
            raise AssertionError(f"{source.where(node)}: string literal interpolates code")
    body = source.text(node)[1:-1]

    def replace(match: re.Match[str]) -> str:
        if match.group(2):
            return chr(int(match.group(2), 16))
        if match.group(3):
            return chr(int(match.group(3), 16))
        char = match.group(1)
        return _SIMPLE.get(char, char)

    decoded = _ESCAPE.sub(replace, body)
    # \uD83D\uDE00 (Kotlin, TypeScript) decodes to two surrogates; join them into one character.
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16")


def strings_in(source: Source, node: tree_sitter.Node) -> list[str]:
    """Decoded values of every string literal under ``node``, in order."""
    found = []
    for inner in walk(node):
        # TypeScript's grammar also calls the type keyword in `string[]` a "string".
        if inner.type in STRING_TYPES[source.suffix] and parent_type(inner) != "predefined_type":
            found.append(decode_string(source, inner))
    return found


def find_declaration(source: Source, name: str) -> tree_sitter.Node:
    """The declaration that binds ``name`` (a property, variable or constant)."""
    declaration_types = {
        "property_declaration",
        "variable_declarator",
        "static_final_declaration",
        "initialized_identifier",
    }
    for node in walk(source.root):
        if node.type in declaration_types and name in _bound_names(source, node):
            return node
    raise AssertionError(f"{source.path}: no declaration of {name}")


def _bound_names(source: Source, node: tree_sitter.Node) -> set[str]:
    names = set()
    for child in node.children:
        if child.type in {"pattern", "variable_declaration", "identifier"}:
            names.add(source.text(child).split(":")[0].strip())
    name = node.child_by_field_name("name")
    if name is not None:
        names.add(source.text(name).split(":")[0].strip())
    return names


def identifiers(source: Source, name: str) -> list[tree_sitter.Node]:
    """Identifier nodes spelled ``name`` (never inside comments or strings)."""
    kinds = {"simple_identifier", "identifier", "property_identifier", "type_identifier"}
    return [n for n in walk(source.root) if n.type in kinds and source.text(n) == name]


def ancestors(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The parents of ``node``, nearest first."""
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent
