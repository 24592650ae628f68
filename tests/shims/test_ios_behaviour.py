"""What the generated iOS controller does, read from its syntax tree for both configs: WebKit only
calls a delegate method whose selector matches exactly, on an object set as the delegate.

A misspelt argument label still compiles, as a method WebKit never calls: the page then waits on
a permission prompt, or the return URL is never caught. These checks pin the selectors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter

from tests.shims.calls import (
    Parameter,
    assignments,
    body_of,
    calls,
    calls_to,
    classes,
    enclosing,
    function,
    functions,
    supertypes,
)
from tests.shims.conftest import CONFIG_PATHS
from tests.shims.guards import branch_of, conditions
from tests.shims.swift_checks import MEDIA_CAPTURE, NAVIGATION_ACTION, delegate_method
from tests.shims.syntax import Source, parse_file, walk

CONTROLLER = "ios/WiseOnboardingViewController.swift"


def controller(render_dir: Path, config: str) -> Source:
    """The parsed UIKit controller of one config."""
    return parse_file(render_dir / config / CONTROLLER)


def _visibility(src: Source, method: tree_sitter.Node) -> set[str]:
    return {
        src.text(m)
        for child in method.children
        if child.type == "modifiers"
        for m in child.children
        if m.type == "visibility_modifier"
    }


@pytest.mark.parametrize("config", CONFIG_PATHS)
@pytest.mark.parametrize(
    ("protocol", "wanted", "delegate_property"),
    [
        ("WKUIDelegate", MEDIA_CAPTURE, "uiDelegate"),
        ("WKNavigationDelegate", NAVIGATION_ACTION, "navigationDelegate"),
    ],
    ids=["media-capture", "navigation-action"],
)
def test_delegate_method_has_webkits_selector_and_is_wired(
    render_dir: Path,
    config: str,
    protocol: str,
    wanted: list[Parameter],
    delegate_property: str,
) -> None:
    src = controller(render_dir, config)
    method = delegate_method(src, wanted)
    # WebKit calls it through the Objective-C runtime: a private method would not be found.
    assert not _visibility(src, method) & {"private", "fileprivate"}
    owner = enclosing(method, {"class_declaration"})
    assert owner is not None
    assert owner in classes(src, "WiseOnboardingViewController")
    assert protocol in supertypes(src, owner)
    assert (f"webView.{delegate_property}", "self") in assignments(src, owner)


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_swiftui_wrapper_shows_the_same_controller(render_dir: Path, config: str) -> None:
    # The wrapper adds no webview of its own: the controller above is the delegate in SwiftUI too.
    src = parse_file(render_dir / config / "ios/WiseOnboardingView.swift")
    [make] = functions(src, "makeUIViewController")
    made = [call.callee for call in calls(src, make)]
    assert made == ["WiseOnboardingViewController"]
    assert [call.labels for call in calls(src, make)] == [["url", "dismissesOnFinish", "onFinish"]]


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_finish_pops_a_pushed_controller_and_dismisses_a_presented_one(
    render_dir: Path, config: str
) -> None:
    src = controller(render_dir, config)
    body = body_of(src, function(src, "finish"))
    [pop] = [c for c in calls(src, body) if c.name == "popViewController"]
    [dismiss] = calls_to(src, body, "dismiss")
    assert pop.labels == dismiss.labels == ["animated"]
    # if let navigation = navigationController, ... { navigation.popViewController(...) }
    pop_if = enclosing(pop.node, {"if_statement"})
    assert pop_if is not None
    bound = pop_if.child_by_field_name("bound_identifier")
    assert bound is not None
    assert pop.callee == f"{src.text(bound)}.popViewController"
    assert "navigationController" in {src.text(c) for c in conditions(src, pop_if)}
    # ... else if presentingViewController != nil { dismiss(...) }
    assert branch_of(src, pop_if, dismiss.node) == "else"
    dismiss_if = enclosing(dismiss.node, {"if_statement"})
    assert dismiss_if is not None
    assert [src.text(c) for c in conditions(src, dismiss_if)] == ["presentingViewController != nil"]
    # Neither runs when the presenter closes the screen itself (SwiftUI).
    guards = [n for n in walk(body) if n.type == "guard_statement"]
    assert any(
        [src.text(c) for c in conditions(src, g)] == ["dismissesOnFinish"]
        and g.end_byte < pop_if.start_byte
        for g in guards
    )
