"""Decide from the syntax tree whether a statement only runs after a check passed: by default
the trusted-origin check, or the main-frame check that guards the return URL.

"Guarded" means: the statement sits in the *then* branch of an ``if`` whose condition can only be
true when the check in it held, that is the check itself or one operand of an ``&&`` chain. A
negated check, an ``||``, a comparison or an ``else`` branch does not count.
"""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter

from tests.shims.syntax import IF_TYPES, Source, ancestors, identifiers, walk

TRUST_CHECK = "isTrustedOrigin"


def conditions(source: Source, if_node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The condition nodes of an if (several for Swift's ``if a, b``; flat for Dart)."""
    if source.suffix == ".dart":
        # Dart's grammar lays the condition out as siblings between "(" and ")".
        found: list[tree_sitter.Node] = []
        inside = False
        for child in if_node.children:
            if child.type == "(" and not inside:
                inside = True
            elif child.type == ")" and inside:
                return found
            elif inside:
                found.append(child)
        return found
    return list(if_node.children_by_field_name("condition"))


def branch_of(source: Source, if_node: tree_sitter.Node, node: tree_sitter.Node) -> str:
    """Whether ``node`` is in the ``condition``, ``then`` or ``else`` part of ``if_node``."""
    chain = [node, *ancestors(node)]
    child = next(c for c in if_node.children if any(c == a for a in chain))
    condition_ids = {c.id for c in conditions(source, if_node)}
    if child.id in condition_ids:
        return "condition"
    for sibling in if_node.children:
        if sibling.id == child.id:
            return "then"
        if sibling.type == "else":
            return "else"
    raise AssertionError("unreachable")


def _is_trust_call(source: Source, node: tree_sitter.Node) -> bool:
    if node.type != "call_expression":
        return False
    callee = node.children[0]
    if source.text(callee) != TRUST_CHECK and not source.text(callee).endswith("." + TRUST_CHECK):
        return False
    # Kotlin's grammar reads `!Policy.isTrustedOrigin(o)` as `(!Policy).isTrustedOrigin(o)`: a
    # receiver that is not a plain (qualified) name hides a negation.
    if any(n.type in {"unary_expression", "prefix_expression"} for n in walk(callee)):
        return False
    return _has_variable_argument(source, node.children[-1])


def _has_variable_argument(source: Source, arguments: tree_sitter.Node) -> bool:
    # isTrustedOrigin("https://wise.com") would always pass: the argument must be computed.
    kinds = {"simple_identifier", "identifier"}
    return any(n.type in kinds for n in _descendants(arguments) if source.text(n) != TRUST_CHECK)


def _descendants(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    found = []
    for child in node.children:
        found.append(child)
        found.extend(_descendants(child))
    return found


def _dart_operands(nodes: list[tree_sitter.Node]) -> list[list[tree_sitter.Node]]:
    operands: list[list[tree_sitter.Node]] = [[]]
    for node in nodes:
        if node.type == "logical_and_operator":
            operands.append([])
        else:
            operands[-1].append(node)
    return operands


def trust_check(source: Source, operand: list[tree_sitter.Node]) -> bool:
    """True for a call ``isTrustedOrigin(<computed value>)``, qualified or not."""
    if source.suffix == ".dart":
        # A call in Dart's grammar: identifier, then one selector holding the argument list.
        return (
            len(operand) == 2
            and operand[0].type == "identifier"
            and operand[1].type == "selector"
            and source.text(operand[0]) == TRUST_CHECK
            and operand[1].children[0].type == "argument_part"
            and _has_variable_argument(source, operand[1])
        )
    return len(operand) == 1 and _is_trust_call(source, operand[0])


def main_frame_check(source: Source, operand: list[tree_sitter.Node]) -> bool:
    """True for each platform's "this navigation is the main frame's" test.

    Swift: ``<action>.targetFrame?.isMainFrame == true`` (``?? true`` would also pass new windows,
    which any frame can open). Kotlin: ``<request>.isForMainFrame``. Dart:
    ``<action>.isForMainFrame``. TypeScript: ``<request>.isTopFrame !== false``, the strictest
    react-native-webview allows, since it leaves ``isTopFrame`` undefined on Android.
    """
    if source.suffix == ".dart":
        return (
            len(operand) == 2
            and operand[0].type == "identifier"
            and operand[1].type == "selector"
            and source.text(operand[1]) == ".isForMainFrame"
        )
    if len(operand) != 1:
        return False
    node = operand[0]
    if source.suffix == ".swift" and node.type == "equality_expression":
        lhs, op, rhs = (node.child_by_field_name(f) for f in ("lhs", "op", "rhs"))
        suffix = lhs.child_by_field_name("suffix") if lhs is not None else None
        member = suffix.child_by_field_name("suffix") if suffix is not None else None
        return (
            member is not None
            and op is not None
            and rhs is not None
            and source.text(member) == "isMainFrame"
            and source.text(op) == "=="
            and rhs.type == "boolean_literal"
            and source.text(rhs) == "true"
        )
    if source.suffix == ".kt" and node.type == "navigation_expression":
        # The receiver must be a plain name: the grammar reads `!r.isForMainFrame` as `(!r).x`.
        receiver, member = node.children[0], node.children[-1]
        return receiver.type == "identifier" and source.text(member) == "isForMainFrame"
    if source.suffix == ".tsx" and node.type == "binary_expression":
        left, operator, right = (node.child_by_field_name(f) for f in ("left", "operator", "right"))
        return (
            left is not None
            and operator is not None
            and right is not None
            and left.type == "member_expression"
            and source.text(left.child_by_field_name("property") or left) == "isTopFrame"
            and source.text(operator) == "!=="
            and right.type == "false"
        )
    return False


Check = Callable[[Source, list[tree_sitter.Node]], bool]


def asserts(source: Source, operand: list[tree_sitter.Node], check: Check) -> bool:
    """True when ``operand`` can only be true if ``check`` holds for it or one of its ``&&`` parts.

    An operand is one node, or in Dart the identifier and selector siblings that make up a call.
    """
    if len(operand) == 1:
        node = operand[0]
        if node.type == "parenthesized_expression":
            return asserts(source, [c for c in node.children if c.type not in {"(", ")"}], check)
        if node.type == "conjunction_expression":  # Swift
            sides = [*node.children_by_field_name("lhs"), *node.children_by_field_name("rhs")]
            return any(asserts(source, [side], check) for side in sides)
        if node.type == "binary_expression":  # Kotlin, TypeScript
            operator = node.child_by_field_name("operator")
            if operator is not None and source.text(operator) == "&&":
                sides = [c for c in node.children if c.id != operator.id]
                return any(asserts(source, [side], check) for side in sides)
        if node.type == "logical_and_expression":  # Dart
            return any(asserts(source, o, check) for o in _dart_operands(list(node.children)))
    return check(source, operand)


def asserts_trust(source: Source, node: tree_sitter.Node) -> bool:
    """True when ``node`` (a condition) can only be true if the trusted-origin check passed."""
    return asserts(source, [node], trust_check)


def is_guarded(source: Source, node: tree_sitter.Node, check: Check = trust_check) -> bool:
    """True when ``node`` only runs in the then-branch of an if whose condition asserts
    ``check`` (by default: a trusted origin)."""
    for candidate in ancestors(node):
        if candidate.type not in IF_TYPES[source.suffix]:
            continue
        if branch_of(source, candidate, node) != "then":
            continue
        parts = conditions(source, candidate)
        operands = _dart_operands(parts) if source.suffix == ".dart" else [[p] for p in parts]
        if any(asserts(source, operand, check) for operand in operands):
            return True
    return False


def unguarded_grants(source: Source, grant_name: str) -> list[str]:
    """``file:line`` of every ``grant_name`` identifier that is not guarded."""
    return [
        f"{source.where(node)}: {grant_name} outside an isTrustedOrigin(...) branch"
        for node in identifiers(source, grant_name)
        if not is_guarded(source, node)
    ]
