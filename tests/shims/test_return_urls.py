"""Every platform catches the return URL in its navigation handler, matches it against the
configured return URLs, and hands the result to the app only for a main-frame navigation.

Read from the syntax tree of both configs' output. A frame embedded in a trusted page can navigate
itself to a return URL with any session_id and status; only the main frame may end the onboarding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import tree_sitter

from tests.shims.calls import (
    body_of,
    calls,
    calls_to,
    enclosing,
    function,
    kotlin_modifiers,
    kotlin_parameters,
    supertypes,
)
from tests.shims.conftest import CONFIG_PATHS
from tests.shims.guards import is_guarded, main_frame_check
from tests.shims.swift_checks import NAVIGATION_ACTION, delegate_method
from tests.shims.syntax import Source, parse_file, walk


def _ios_handler(src: Source) -> tree_sitter.Node:
    method = delegate_method(src, NAVIGATION_ACTION)
    owner = enclosing(method, {"class_declaration"})
    assert owner is not None
    assert "WKNavigationDelegate" in supertypes(src, owner)
    return body_of(src, method)


def _android_handler(src: Source) -> tree_sitter.Node:
    method = function(src, "shouldOverrideUrlLoading")
    assert "override" in kotlin_modifiers(src, method)
    parameters = [(p.name, p.type) for p in kotlin_parameters(src, method)]
    assert parameters == [("view", "WebView"), ("request", "WebResourceRequest")]
    owner = enclosing(method, {"class_declaration"})
    assert owner is not None
    assert supertypes(src, owner) == ["WebViewClient()"]
    name = src.text(owner.child_by_field_name("name") or owner.named_children[0])
    wired = [
        src.text(n.children[0])
        for n in walk(src.root)
        if n.type == "assignment" and src.text(n.children[-1]) == f"{name}()"
    ]
    assert wired == ["webView.webViewClient"]
    return body_of(src, method)


def _react_native_handler(src: Source) -> tree_sitter.Node:
    # const onShouldStartLoadWithRequest = useCallback((request) => {...}, [...]), passed as the
    # prop of the same name (test_structure checks the JSX attribute).
    value = body_of(src, function(src, "onShouldStartLoadWithRequest"))
    assert calls(src, value)[0].callee == "useCallback"
    [arrow] = [n for n in value.named_children[-1].named_children if n.type == "arrow_function"]
    return arrow


def _flutter_handler(src: Source) -> tree_sitter.Node:
    method = function(src, "_shouldOverrideUrlLoading")
    [webview] = [c for c in calls(src, src.root) if c.callee == "InAppWebView"]
    handlers = [
        src.text(v) for label, v in webview.arguments if label == "shouldOverrideUrlLoading"
    ]
    assert handlers == ["_shouldOverrideUrlLoading"]
    return body_of(src, method)


def _swift_or_dart_contains(name: str) -> Callable[[Source, tree_sitter.Node], bool]:
    return lambda src, body: bool(calls_to(src, body, f"{name}.contains"))


def _kotlin_in(src: Source, body: tree_sitter.Node) -> bool:
    return any(
        n.type == "in_expression" and src.text(n.named_children[-1]) == "RETURN_ENDPOINTS"
        for n in walk(body)
    )


@dataclass(frozen=True)
class Platform:
    """Where one platform handles navigations, and the names it uses for the return URL."""

    handler_file: str
    find_handler: Callable[[Source], tree_sitter.Node]
    result_file: str
    result_function: str
    result_call: str
    consults_endpoints: Callable[[Source, tree_sitter.Node], bool]
    hand_over: str


PLATFORMS = {
    "ios": Platform(
        "ios/WiseOnboardingViewController.swift",
        _ios_handler,
        "ios/WiseOnboardingPolicy.swift",
        "result",
        "WiseOnboardingPolicy.result",
        _swift_or_dart_contains("returnEndpoints"),
        "finish",
    ),
    "android": Platform(
        "android/WiseOnboardingActivity.kt",
        _android_handler,
        "android/WiseOnboardingPolicy.kt",
        "resultFor",
        "WiseOnboardingPolicy.resultFor",
        _kotlin_in,
        "finishWith",
    ),
    "react-native": Platform(
        "react-native/WiseOnboardingWebView.tsx",
        _react_native_handler,
        "react-native/WiseOnboardingWebView.tsx",
        "resultFor",
        "resultFor",
        lambda src, body: bool(calls_to(src, body, "RETURN_ENDPOINTS.has")),
        "onFinish",
    ),
    "flutter": Platform(
        "flutter/wise_onboarding_webview.dart",
        _flutter_handler,
        "flutter/wise_onboarding_webview.dart",
        "resultFor",
        "resultFor",
        _swift_or_dart_contains("returnEndpoints"),
        "widget.onFinish",
    ),
}


@pytest.mark.parametrize("config", CONFIG_PATHS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_navigation_handler_consults_the_configured_return_urls(
    render_dir: Path, config: str, platform: str
) -> None:
    spec = PLATFORMS[platform]
    src = parse_file(render_dir / config / spec.handler_file)
    handler = spec.find_handler(src)
    assert len(calls_to(src, handler, spec.result_call)) == 1, "the handler matches each URL"
    # The endpoints themselves equal the config: test_structure compares them value by value.
    policy = parse_file(render_dir / config / spec.result_file)
    matcher = function(policy, spec.result_function)
    assert spec.consults_endpoints(policy, body_of(policy, matcher))


@pytest.mark.parametrize("config", CONFIG_PATHS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_only_a_main_frame_navigation_ends_the_onboarding(
    render_dir: Path, config: str, platform: str
) -> None:
    spec = PLATFORMS[platform]
    src = parse_file(render_dir / config / spec.handler_file)
    handler = spec.find_handler(src)
    hand_overs = calls_to(src, src.root, spec.hand_over)
    assert hand_overs, f"{spec.handler_file} never hands a result to the app"
    for call in hand_overs:
        assert _inside(call.node, handler), f"{src.where(call.node)}: outside the handler"
        assert is_guarded(src, call.node, main_frame_check), (
            f"{src.where(call.node)}: {spec.hand_over} runs for sub-frame navigations too"
        )


def _inside(node: tree_sitter.Node, scope: tree_sitter.Node) -> bool:
    return scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte
