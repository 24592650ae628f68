"""Checks on the generated Swift: the WKWebViewConfiguration goes into the initializer and is
never changed through the webview afterwards (each returns a list of problems; empty: fine), and
the WebKit delegate selectors the controller must implement."""

from __future__ import annotations

import tree_sitter

from tests.shims.calls import Parameter, functions, swift_parameters
from tests.shims.syntax import Source, field, walk

FACTORY = "makeConfiguration"


def _call_name(src: Source, call: tree_sitter.Node) -> str:
    return src.text(call.children[0])


def _arguments(src: Source, call: tree_sitter.Node) -> list[tuple[str, tree_sitter.Node]]:
    suffix = call.children[-1]
    found = []
    for argument in walk(suffix):
        grand_parent = argument.parent.parent if argument.parent else None
        if argument.type == "value_argument" and grand_parent == suffix:
            label = argument.child_by_field_name("name")
            value = argument.child_by_field_name("value")
            if value is not None:
                found.append((src.text(label) if label else "", value))
    return found


def _enclosing_function(node: tree_sitter.Node) -> tree_sitter.Node | None:
    parent = node.parent
    while parent is not None and parent.type != "function_declaration":
        parent = parent.parent
    return parent


def _assignments(src: Source, scope: tree_sitter.Node) -> dict[str, tuple[str, int]]:
    """``target text -> (value text, byte offset)`` for the assignments under ``scope``."""
    found = {}
    for node in walk(scope):
        target = node.child_by_field_name("target") if node.type == "assignment" else None
        result = node.child_by_field_name("result") if node.type == "assignment" else None
        if target is not None and result is not None:
            found[src.text(target)] = (src.text(result), node.start_byte)
    return found


def preparation_problems(src: Source, scope: tree_sitter.Node, name: str, before: int) -> list[str]:
    """Problems unless ``name`` is a new WKWebViewConfiguration, declared in ``scope``, with
    inline playback and no user action required, both set before byte ``before``."""
    values = [
        src.text(field(node, "value"))
        for node in walk(scope)
        if node.type == "property_declaration" and src.text(field(node, "name")) == name
    ]
    if values != ["WKWebViewConfiguration()"]:
        return [f"{src.path}: {name} is not a WKWebViewConfiguration() declared here"]
    problems = []
    assignments = _assignments(src, scope)
    for prop, wanted in (
        ("allowsInlineMediaPlayback", "true"),
        ("mediaTypesRequiringUserActionForPlayback", "[]"),
    ):
        found = assignments.get(f"{name}.{prop}")
        if found is None or found[0] != wanted or found[1] > before:
            problems.append(f"{src.path}: {name}.{prop} is not set to {wanted} before use")
    return problems


def initializer_problems(src: Source) -> list[str]:
    """Every ``WKWebView(...)`` gets ``frame:`` and a prepared ``configuration:``."""
    problems = []
    for call in walk(src.root):
        if call.type != "call_expression" or _call_name(src, call) != "WKWebView":
            continue
        arguments = _arguments(src, call)
        if [label for label, _ in arguments] != ["frame", "configuration"]:
            problems.append(f"{src.where(call)}: not WKWebView(frame:configuration:)")
            continue
        value = arguments[1][1]
        if value.type == "call_expression" and _call_name(src, value).endswith(FACTORY):
            continue  # the shared factory; factory_problems() checks it
        function = _enclosing_function(call)
        if value.type != "simple_identifier" or function is None:
            problems.append(f"{src.where(call)}: configuration is not a prepared local")
            continue
        problems += preparation_problems(src, function, src.text(value), call.start_byte)
    return problems


def count_initializers(src: Source) -> int:
    """How many ``WKWebView(...)`` calls the file makes."""
    return sum(
        1
        for n in walk(src.root)
        if n.type == "call_expression" and _call_name(src, n) == "WKWebView"
    )


def factory_problems(src: Source) -> list[str]:
    """``makeConfiguration()`` builds, prepares and returns one new configuration."""
    functions = [
        n
        for n in walk(src.root)
        if n.type == "function_declaration" and src.text(field(n, "name")) == FACTORY
    ]
    if len(functions) != 1:
        return [f"{src.path}: expected one {FACTORY}()"]
    returns = [n for n in walk(functions[0]) if n.type == "control_transfer_statement"]
    if [src.text(n) for n in returns] != ["return configuration"]:
        return [f"{src.path}: {FACTORY}() must end with `return configuration`"]
    return preparation_problems(src, functions[0], "configuration", returns[0].start_byte)


def late_assignment_problems(src: Source) -> list[str]:
    """No assignment goes through ``.configuration`` (``webView.configuration.x = y``)."""
    problems = []
    for node in walk(src.root):
        target = node.child_by_field_name("target") if node.type == "assignment" else None
        if target is None:
            continue
        suffixes = [
            src.text(field(n, "suffix")) for n in walk(target) if n.type == "navigation_suffix"
        ]
        if "configuration" in suffixes:
            problems.append(f"{src.where(node)}: {src.text(node)}")
    return problems


# webView(_:requestMediaCapturePermissionFor:initiatedByFrame:type:decisionHandler:), iOS 15.
MEDIA_CAPTURE = [
    Parameter("_", "webView", "WKWebView"),
    Parameter("requestMediaCapturePermissionFor", "origin", "WKSecurityOrigin"),
    Parameter("initiatedByFrame", "frame", "WKFrameInfo"),
    Parameter("type", "type", "WKMediaCaptureType"),
    Parameter("decisionHandler", "decisionHandler", "(WKPermissionDecision)->Void", escaping=True),
]
# webView(_:decidePolicyFor:decisionHandler:) with a WKNavigationAction.
NAVIGATION_ACTION = [
    Parameter("_", "webView", "WKWebView"),
    Parameter("decidePolicyFor", "navigationAction", "WKNavigationAction"),
    Parameter(
        "decisionHandler", "decisionHandler", "(WKNavigationActionPolicy)->Void", escaping=True
    ),
]


def delegate_method(src: Source, wanted: list[Parameter]) -> tree_sitter.Node:
    """The one ``webView(...)`` method whose labels are those of ``wanted``, checked in full."""
    labels = [p.label for p in wanted]
    found = [
        f
        for f in functions(src, "webView")
        if [p.label for p in swift_parameters(src, f)] == labels
    ]
    assert len(found) == 1, f"{src.path}: no webView({':'.join(labels)}:)"
    assert swift_parameters(src, found[0]) == wanted
    return found[0]
