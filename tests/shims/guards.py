"""Decide from the syntax tree whether a statement only runs after a trusted-origin check passed.

"Guarded" means: the statement sits in the *then* branch of an ``if`` whose condition can only be
true when a call to ``isTrustedOrigin(...)`` in it returned true, that is the call itself or one
operand of an ``&&`` chain. A negated call, an ``||``, a comparison or an ``else`` branch does not
count.
"""

from __future__ import annotations

import tree_sitter

from tests.shims.syntax import IF_TYPES, Source, ancestors, identifiers

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
    callee = source.text(node.children[0])
    if callee != TRUST_CHECK and not callee.endswith("." + TRUST_CHECK):
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


def _dart_asserts(source: Source, operand: list[tree_sitter.Node]) -> bool:
    # A call in Dart's grammar: identifier, then one selector holding the argument list.
    if (
        len(operand) == 2
        and operand[0].type == "identifier"
        and operand[1].type == "selector"
        and source.text(operand[0]) == TRUST_CHECK
        and operand[1].children[0].type == "argument_part"
    ):
        return _has_variable_argument(source, operand[1])
    if len(operand) == 1:
        node = operand[0]
        if node.type == "logical_and_expression":
            return any(_dart_asserts(source, o) for o in _dart_operands(list(node.children)))
        if node.type == "parenthesized_expression":
            return _dart_asserts(source, [c for c in node.children if c.type not in {"(", ")"}])
    return False


def asserts_trust(source: Source, node: tree_sitter.Node) -> bool:
    """True when ``node`` (a condition) can only be true if the trusted-origin check passed."""
    if node.type in {"parenthesized_expression"}:
        return any(asserts_trust(source, c) for c in node.children if c.type not in {"(", ")"})
    if _is_trust_call(source, node):
        return True
    if node.type == "conjunction_expression":  # Swift
        return any(asserts_trust(source, c) for c in node.children_by_field_name("lhs")) or any(
            asserts_trust(source, c) for c in node.children_by_field_name("rhs")
        )
    if node.type == "binary_expression":  # Kotlin, TypeScript
        operator = node.child_by_field_name("operator")
        if operator is not None and source.text(operator) == "&&":
            return any(asserts_trust(source, c) for c in node.children if c.id != operator.id)
    return False


def is_guarded(source: Source, node: tree_sitter.Node) -> bool:
    """True when ``node`` only runs in the then-branch of an if that asserts a trusted origin."""
    for candidate in ancestors(node):
        if candidate.type not in IF_TYPES[source.suffix]:
            continue
        if branch_of(source, candidate, node) != "then":
            continue
        parts = conditions(source, candidate)
        if source.suffix == ".dart":
            if any(_dart_asserts(source, o) for o in _dart_operands(parts)):
                return True
        elif any(asserts_trust(source, part) for part in parts):
            return True
    return False


def unguarded_grants(source: Source, grant_name: str) -> list[str]:
    """``file:line`` of every ``grant_name`` identifier that is not guarded."""
    return [
        f"{source.where(node)}: {grant_name} outside an isTrustedOrigin(...) branch"
        for node in identifiers(source, grant_name)
        if not is_guarded(source, node)
    ]
