"""Security-relevant structure of the generated code, read from the syntax tree, not substrings."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter

from tests.shims.conftest import CONFIG_PATHS, code_files
from tests.shims.guards import conditions, unguarded_grants
from tests.shims.swift_checks import (
    count_initializers,
    factory_problems,
    initializer_problems,
    late_assignment_problems,
)
from tests.shims.syntax import (
    IF_TYPES,
    Source,
    field,
    find_declaration,
    identifiers,
    parent_type,
    parse_file,
    strings_in,
    walk,
)
from webview_shims.config import load_config

CODE_FILES = code_files()
SWIFT_FILES = [(c, r) for c, r in CODE_FILES if r.endswith(".swift")]

# Each language's spelling of "grant the permission", and the files that must contain one.
GRANT_NAMES = {".swift": "grant", ".kt": "grant", ".dart": "GRANT"}
FILES_WITH_GRANTS = {
    "ios/WiseOnboardingViewController.swift",
    "android/WiseOnboardingActivity.kt",
    "quickstart/PermissionQuickStart.kt",
    "flutter/wise_onboarding_webview.dart",
}
_DEFINITION_TYPES = {"function_declaration", "function_signature"}
# String tests that would turn an origin check into a prefix or substring match.
PREFIX_MATCHERS = {
    "hasPrefix",
    "hasSuffix",
    "startsWith",
    "endsWith",
    "starts_with",
    "includes",
    "indexOf",
    "range",
    "matches",
    "RegExp",
    "Regex",
}


def source(render_dir: Path, config: str, relative: str) -> Source:
    """Parse one generated file of one config."""
    return parse_file(render_dir / config / relative)


def ids(cases: list[tuple[str, str]]) -> list[str]:
    """Readable parametrize ids."""
    return [f"{c}-{r}" for c, r in cases]


# --- iOS: the configuration goes into the initializer --------------------------------------


@pytest.mark.parametrize(("config", "relative"), SWIFT_FILES, ids=ids(SWIFT_FILES))
def test_configuration_is_passed_into_the_wkwebview_initializer(
    render_dir: Path, config: str, relative: str
) -> None:
    src = source(render_dir, config, relative)
    if relative.endswith(("WiseOnboardingViewController.swift", "QuickStart.swift")):
        assert count_initializers(src) == 1, f"{relative} creates its WKWebView"
    assert initializer_problems(src) == []


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_make_configuration_builds_inline_playback(render_dir: Path, config: str) -> None:
    assert factory_problems(source(render_dir, config, "ios/WiseOnboardingPolicy.swift")) == []


@pytest.mark.parametrize(("config", "relative"), SWIFT_FILES, ids=ids(SWIFT_FILES))
def test_configuration_is_never_assigned_through_the_webview(
    render_dir: Path, config: str, relative: str
) -> None:
    assert late_assignment_problems(source(render_dir, config, relative)) == []


# --- every grant sits behind the trusted-origin check --------------------------------------

GRANT_CASES = [(c, r) for c, r in CODE_FILES if Path(r).suffix in GRANT_NAMES]


@pytest.mark.parametrize(("config", "relative"), GRANT_CASES, ids=ids(GRANT_CASES))
def test_every_grant_is_behind_the_trusted_origin_check(
    render_dir: Path, config: str, relative: str
) -> None:
    src = source(render_dir, config, relative)
    grants = identifiers(src, GRANT_NAMES[src.suffix])
    if relative in FILES_WITH_GRANTS:
        assert grants, f"{relative} grants nothing: the check would pass vacuously"
    assert unguarded_grants(src, GRANT_NAMES[src.suffix]) == []


@pytest.mark.parametrize(("config", "relative"), CODE_FILES, ids=ids(CODE_FILES))
def test_decisions_never_use_prefix_or_substring_tests(
    render_dir: Path, config: str, relative: str
) -> None:
    # Every if-condition, and the trust check itself, must compare whole values.
    src = source(render_dir, config, relative)
    scopes = [
        c for n in walk(src.root) if n.type in IF_TYPES[src.suffix] for c in conditions(src, n)
    ]
    scopes += [
        n.parent
        for n in identifiers(src, "isTrustedOrigin")
        if n.parent is not None and n.parent.type in _DEFINITION_TYPES
    ]
    for scope in scopes:
        used = {src.text(n) for n in walk(scope)} & PREFIX_MATCHERS
        assert not used, f"{src.where(scope)} decides with {sorted(used)}"


# --- the trusted origins in the output are the config's --------------------------------------

ORIGIN_SETS = [
    ("ios/WiseOnboardingPolicy.swift", "trustedOrigins", "returnEndpoints"),
    ("android/WiseOnboardingPolicy.kt", "TRUSTED_ORIGINS", "RETURN_ENDPOINTS"),
    ("quickstart/PermissionQuickStart.kt", "TRUSTED_ORIGINS", None),
    ("react-native/WiseOnboardingWebView.tsx", "TRUSTED_ORIGINS", "RETURN_ENDPOINTS"),
    ("flutter/wise_onboarding_webview.dart", "trustedOrigins", "returnEndpoints"),
]


@pytest.mark.parametrize("config", CONFIG_PATHS)
@pytest.mark.parametrize(("relative", "origins_name", "returns_name"), ORIGIN_SETS)
def test_trusted_origins_and_return_urls_equal_the_config(
    render_dir: Path, config: str, relative: str, origins_name: str, returns_name: str | None
) -> None:
    expected = load_config(CONFIG_PATHS[config])
    src = source(render_dir, config, relative)
    assert strings_in(src, find_declaration(src, origins_name)) == list(expected.trusted_origins)
    if returns_name is not None:
        assert strings_in(src, find_declaration(src, returns_name)) == [
            r.endpoint for r in expected.return_urls
        ]


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_is_trusted_origin_is_set_membership(render_dir: Path, config: str) -> None:
    cases = {
        "ios/WiseOnboardingPolicy.swift": ("trustedOrigins.contains(origin)",),
        "android/WiseOnboardingPolicy.kt": ("origin in TRUSTED_ORIGINS",),
        "react-native/WiseOnboardingWebView.tsx": ("TRUSTED_ORIGINS.has(origin)",),
        "flutter/wise_onboarding_webview.dart": ("trustedOrigins.contains(origin)",),
    }
    membership = {"call_expression", "check_expression", "binary_expression", "selector"}
    for relative, (expected,) in cases.items():
        src = source(render_dir, config, relative)
        names = identifiers(src, "isTrustedOrigin")
        definitions = [n.parent for n in names if parent_type(n) in _DEFINITION_TYPES]
        assert len(definitions) == 1, f"{relative}: one isTrustedOrigin definition"
        body = definitions[0]
        assert body is not None
        if body.type == "function_signature":  # Dart keeps the body beside the signature
            body = body.next_named_sibling
            assert body is not None
        tests = {src.text(n) for n in walk(body) if n.type in membership}
        tests |= {_dart_chain(src, n) for n in walk(body) if n.type == "identifier"}
        assert any(expected in test for test in tests), f"{relative}: {sorted(tests)}"


def _dart_chain(src: Source, node: tree_sitter.Node) -> str:
    # Dart's grammar writes `a.b(c)` as the identifier followed by selector siblings.
    parts = [src.text(node)]
    sibling = node.next_sibling
    while sibling is not None and sibling.type == "selector":
        parts.append(src.text(sibling))
        sibling = sibling.next_sibling
    return "".join(parts)


# --- platform settings ----------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_android_webview_settings(render_dir: Path, config: str) -> None:
    src = source(render_dir, config, "android/WiseOnboardingActivity.kt")
    assignments = {}
    for node in walk(src.root):
        if node.type == "assignment":
            target, value = node.children[0], node.children[-1]
            assignments[src.text(target)] = src.text(value)
    assert assignments["javaScriptEnabled"] == "true"
    assert assignments["domStorageEnabled"] == "true"
    assert assignments["mediaPlaybackRequiresUserGesture"] == "false"
    assert identifiers(src, "deny"), "onPermissionRequest denies what it does not grant"


def _jsx_attributes(src: Source) -> dict[str, str | None]:
    [webview] = [
        n
        for n in walk(src.root)
        if n.type == "jsx_self_closing_element" and src.text(field(n, "name")) == "WebView"
    ]
    found: dict[str, str | None] = {}
    for attribute in webview.children_by_field_name("attribute"):
        value = attribute.children[-1] if len(attribute.children) == 3 else None
        found[src.text(attribute.children[0])] = src.text(value) if value else None
    return found


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_react_native_webview_props(render_dir: Path, config: str) -> None:
    expected = load_config(CONFIG_PATHS[config])
    src = source(render_dir, config, "react-native/WiseOnboardingWebView.tsx")
    props = _jsx_attributes(src)
    assert props["allowsInlineMediaPlayback"] is None  # boolean shorthand: true
    assert props["mediaPlaybackRequiresUserAction"] == "{false}"
    assert props["mediaCapturePermissionGrantType"] == '"grantIfSameHostElseDeny"'
    assert props["originWhitelist"] == "{ORIGIN_WHITELIST}"
    assert props["onShouldStartLoadWithRequest"] == "{onShouldStartLoadWithRequest}"
    whitelist = strings_in(src, find_declaration(src, "ORIGIN_WHITELIST"))
    assert whitelist == [*expected.trusted_origins, *(r.origin for r in expected.return_urls)]


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_flutter_webview_settings(render_dir: Path, config: str) -> None:
    src = source(render_dir, config, "flutter/wise_onboarding_webview.dart")
    named = {}
    for node in walk(src.root):
        if node.type == "named_argument":
            named[src.text(node.children[0]).rstrip(":").strip()] = src.text(node.children[-1])
    assert named["javaScriptEnabled"] == "true"
    assert named["domStorageEnabled"] == "true"
    assert named["mediaPlaybackRequiresUserGesture"] == "false"
    assert named["allowsInlineMediaPlayback"] == "true"
    assert named["useShouldOverrideUrlLoading"] == "true"
