"""Wise's paths live in one table (backend/wise/paths.py), so they can be switched in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from backend.wise.paths import WisePath

BACKEND = Path(__file__).resolve().parents[2] / "backend"
# What a Wise API path looks like: a legacy /v1-/v3 path, a quarterly version, or the token URL.
WISE_PATH = re.compile(r"^/(v[0-9]+|[0-9]{4}Q[1-4])/|^/oauth/token")


def code_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals used as values (docstrings and other bare statements are prose)."""
    prose = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            found.append((node.lineno, node.value))
        if isinstance(node, ast.JoinedStr):
            text = "".join(p.value for p in node.values if isinstance(p, ast.Constant))
            found.append((node.lineno, str(text)))
    return found


def test_no_module_but_the_path_table_spells_a_wise_path() -> None:
    offenders = []
    for source in sorted(BACKEND.rglob("*.py")):
        if source.name == "paths.py" and source.parent.name == "wise":
            continue
        if "migrations" in source.parts:
            continue
        for line, text in code_strings(ast.parse(source.read_text(), str(source))):
            if WISE_PATH.match(text):
                offenders.append(f"{source.relative_to(BACKEND.parent)}:{line}: {text!r}")
    assert offenders == []


def test_paths_fill_and_encode_their_parts() -> None:
    assert WisePath.PROFILE.at(profile_id=30000001) == "/v2/profiles/30000001"
    assert (
        WisePath.SUBSCRIPTION.at(client_key="a/b", subscription_id="x y")
        == "/v3/applications/a%2Fb/subscriptions/x%20y"
    )
    # Every template is a Wise path, and all are different.
    assert all(WISE_PATH.match(path.value) for path in WisePath)
    assert len({path.value for path in WisePath}) == len(WisePath)
