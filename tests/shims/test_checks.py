"""The structural checkers catch the mistakes they exist for (negative controls).

Without these, a checker that found nothing would look the same as code with nothing to find.
"""

from __future__ import annotations

import pytest

from tests.shims.guards import is_guarded, main_frame_check, unguarded_grants
from tests.shims.swift_checks import (
    factory_problems,
    initializer_problems,
    late_assignment_problems,
)
from tests.shims.syntax import identifiers, parse_bytes, syntax_problems

SWIFT_GRANTS = {
    "guarded": ("if isTrustedOrigin(o) { decisionHandler(.grant) }", True),
    "guarded in a chain": ("if a && isTrustedOrigin(o) && b { if c { h(.grant) } }", True),
    "guarded, Swift comma list": ("if let o = o, isTrustedOrigin(o) { h(.grant) }", True),
    "unguarded": ("decisionHandler(.grant)", False),
    "else branch": ("if isTrustedOrigin(o) { h(.deny) } else { h(.grant) }", False),
    "negated": ("if !isTrustedOrigin(o) { h(.grant) }", False),
    "disjunction": ("if isTrustedOrigin(o) || debug { h(.grant) }", False),
    "constant argument": ('if isTrustedOrigin("https://wise.com") { h(.grant) }', False),
    "other check": ("if isTrusted(o) { h(.grant) }", False),
}
KOTLIN_GRANTS = {
    "guarded": ("if (isTrustedOrigin(o) && w.isNotEmpty()) { r.grant(w) }", True),
    "qualified": ("if (Policy.isTrustedOrigin(o)) { r.grant(w) } else { r.deny() }", True),
    "unguarded": ("r.grant(w)", False),
    "else branch": ("if (isTrustedOrigin(o)) { r.deny() } else { r.grant(w) }", False),
    "negated": ("if (!isTrustedOrigin(o)) { r.grant(w) }", False),
    "qualified, negated": ("if (!Policy.isTrustedOrigin(o)) { r.grant(w) }", False),
    "disjunction": ("if (isTrustedOrigin(o) || debug) { r.grant(w) }", False),
    "in the condition": ("if (isTrustedOrigin(o) && r.grant(w) == Unit) { }", False),
}
DART_GRANTS = {
    "guarded": (
        "if (isTrustedOrigin(o) && g.isNotEmpty) { return PermissionResponseAction.GRANT; }",
        True,
    ),
    "unguarded": ("return PermissionResponseAction.GRANT;", False),
    "else branch": (
        "if (isTrustedOrigin(o)) { return 1; } else { return PermissionResponseAction.GRANT; }",
        False,
    ),
    "negated": ("if (!isTrustedOrigin(o)) { return PermissionResponseAction.GRANT; }", False),
    "disjunction": (
        "if (isTrustedOrigin(o) || debug) { return PermissionResponseAction.GRANT; }",
        False,
    ),
}


def _wrap(suffix: str, body: str) -> bytes:
    if suffix == ".swift":
        return f"func f() {{\n{body}\n}}\n".encode()
    if suffix == ".kt":
        return f"fun f() {{\n{body}\n}}\n".encode()
    return f"Object f() {{\n{body}\n}}\n".encode()


CASES = [
    *((".swift", "grant", name, code, ok) for name, (code, ok) in SWIFT_GRANTS.items()),
    *((".kt", "grant", name, code, ok) for name, (code, ok) in KOTLIN_GRANTS.items()),
    *((".dart", "GRANT", name, code, ok) for name, (code, ok) in DART_GRANTS.items()),
]


@pytest.mark.parametrize(
    ("suffix", "grant", "name", "code", "guarded"),
    CASES,
    ids=[f"{c[0].lstrip('.')}-{c[2]}" for c in CASES],
)
def test_grant_guard_check(suffix: str, grant: str, name: str, code: str, guarded: bool) -> None:
    src = parse_bytes(_wrap(suffix, code), suffix)
    assert syntax_problems(src) == [], "the control snippet itself must parse"
    assert (unguarded_grants(src, grant) == []) is guarded


# The return URL is handed to the app only from the main frame (finish, finishWith, onFinish).
MAIN_FRAME = [
    (".swift", "guarded", "if a.targetFrame?.isMainFrame == true { finish(with: r) }", True),
    (
        ".swift",
        "new windows pass",
        "if a.targetFrame?.isMainFrame ?? true { finish(with: r) }",
        False,
    ),
    (".swift", "negated", "if a.targetFrame?.isMainFrame != true { finish(with: r) }", False),
    (".swift", "unguarded", "finish(with: r)", False),
    (".kt", "guarded", "if (request.isForMainFrame) { finishWith(r) }", True),
    (".kt", "in a chain", "if (r != null && request.isForMainFrame) { finishWith(r) }", True),
    (".kt", "negated", "if (!request.isForMainFrame) { finishWith(r) }", False),
    (".kt", "else branch", "if (request.isForMainFrame) { } else { finishWith(r) }", False),
    (".kt", "disjunction", "if (request.isForMainFrame || x) { finishWith(r) }", False),
    (".tsx", "guarded", "if (request.isTopFrame !== false && !done) { onFinish(r); }", True),
    (".tsx", "frames pass", "if (request.isTopFrame !== true) { onFinish(r); }", False),
    (".tsx", "unguarded", "onFinish(r);", False),
    (".dart", "guarded", "if (action.isForMainFrame && !done) { widget.onFinish(r); }", True),
    (".dart", "negated", "if (!action.isForMainFrame) { widget.onFinish(r); }", False),
    (".dart", "unguarded", "widget.onFinish(r);", False),
]
HAND_OVER = {".swift": "finish", ".kt": "finishWith", ".tsx": "onFinish", ".dart": "onFinish"}


@pytest.mark.parametrize(
    ("suffix", "name", "code", "guarded"),
    MAIN_FRAME,
    ids=[f"{c[0].lstrip('.')}-{c[1]}" for c in MAIN_FRAME],
)
def test_main_frame_guard_check(suffix: str, name: str, code: str, guarded: bool) -> None:
    wrapped = f"function f() {{\n{code}\n}}\n".encode() if suffix == ".tsx" else _wrap(suffix, code)
    src = parse_bytes(wrapped, suffix)
    assert syntax_problems(src) == [], "the control snippet itself must parse"
    [call] = identifiers(src, HAND_OVER[suffix])
    assert is_guarded(src, call, main_frame_check) is guarded


PREPARED = """
func make() -> WKWebView {
    let configuration = WKWebViewConfiguration()
    configuration.allowsInlineMediaPlayback = true
    configuration.mediaTypesRequiringUserActionForPlayback = []
    return WKWebView(frame: .zero, configuration: configuration)
}
"""
LATE = """
func make() -> WKWebView {
    let webView = WKWebView(frame: .zero, configuration: WKWebViewConfiguration())
    webView.configuration.allowsInlineMediaPlayback = true
    return webView
}
"""
SET_AFTER = """
func make() -> WKWebView {
    let configuration = WKWebViewConfiguration()
    let webView = WKWebView(frame: .zero, configuration: configuration)
    configuration.allowsInlineMediaPlayback = true
    configuration.mediaTypesRequiringUserActionForPlayback = []
    return webView
}
"""
NO_CONFIGURATION = "func make() -> WKWebView {\n    return WKWebView(frame: .zero)\n}\n"
FACTORY_FORGETS = """
static func makeConfiguration() -> WKWebViewConfiguration {
    let configuration = WKWebViewConfiguration()
    configuration.allowsInlineMediaPlayback = true
    return configuration
}
"""


@pytest.mark.parametrize(
    ("code", "initializer_ok", "late_ok"),
    [
        (PREPARED, True, True),
        (LATE, False, False),
        (SET_AFTER, False, True),
        (NO_CONFIGURATION, False, True),
    ],
    ids=["prepared", "assigned-through-webview", "set-after-init", "no-configuration"],
)
def test_swift_configuration_checks(code: str, initializer_ok: bool, late_ok: bool) -> None:
    src = parse_bytes(code.encode(), ".swift")
    assert syntax_problems(src) == []
    assert (initializer_problems(src) == []) is initializer_ok
    assert (late_assignment_problems(src) == []) is late_ok


def test_factory_check_catches_a_missing_setting() -> None:
    src = parse_bytes(FACTORY_FORGETS.encode(), ".swift")
    assert factory_problems(src) == [
        f"{src.path}: configuration.mediaTypesRequiringUserActionForPlayback "
        "is not set to [] before use"
    ]
