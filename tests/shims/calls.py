"""Functions, their parameters and the calls they make, read from the four grammars' syntax trees.

The grammars disagree on shape: Dart writes ``a.b(c)`` as an identifier followed by selector
siblings and keeps a method's body beside its signature; Swift keeps a parameter's type in a field
also called ``name``. These helpers give the tests one vocabulary over all four.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter

from tests.shims.syntax import Source, walk

_NAME_TYPES = {"simple_identifier", "identifier", "property_identifier"}
_PUNCTUATION = {"(", ")", ","}


@dataclass(frozen=True)
class Call:
    """One call: its callee as written (``request.grant``), its arguments, and where it is."""

    callee: str
    arguments: tuple[tuple[str, tree_sitter.Node], ...]
    node: tree_sitter.Node

    @property
    def name(self) -> str:
        """The called name without its receiver (``grant`` for ``request.grant``)."""
        return self.callee.rsplit(".", 1)[-1]

    @property
    def labels(self) -> list[str]:
        """The argument labels, "" for an unlabelled argument."""
        return [label for label, _ in self.arguments]


def calls(src: Source, scope: tree_sitter.Node) -> list[Call]:
    """Every call under ``scope``, in source order."""
    if src.suffix == ".dart":
        return _dart_calls(src, scope)
    found = []
    for node in walk(scope):
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function") or node.children[0]
        found.append(Call(_squash(src.text(callee)), _arguments(src, node), node))
    return found


def calls_to(src: Source, scope: tree_sitter.Node, callee: str) -> list[Call]:
    """The calls under ``scope`` whose callee is written exactly ``callee``."""
    return [call for call in calls(src, scope) if call.callee == callee]


def _squash(text: str) -> str:
    return "".join(text.split())


def _arguments(src: Source, call: tree_sitter.Node) -> tuple[tuple[str, tree_sitter.Node], ...]:
    if src.suffix == ".tsx":
        arguments = call.child_by_field_name("arguments")
        children = arguments.named_children if arguments is not None else []
        return tuple(("", child) for child in children if child.type != "comment")
    # Swift nests the list in a call_suffix; Kotlin puts it (or a trailing lambda) last.
    last = call.children[-1]
    if last.type == "call_suffix":
        last = last.children[0]
    found = []
    for argument in last.children:
        if argument.type != "value_argument":
            continue
        label = argument.child_by_field_name("name")
        value = argument.child_by_field_name("value") or argument.named_children[-1]
        found.append((src.text(label) if label is not None else "", value))
    return tuple(found)


def _dart_calls(src: Source, scope: tree_sitter.Node) -> list[Call]:
    found = []
    for node in walk(scope):
        if node.type != "selector" or node.children[0].type != "argument_part":
            continue
        callee = []
        sibling = node.prev_sibling
        while sibling is not None and sibling.type == "selector":
            if sibling.children[0].type == "argument_part":
                break
            callee.insert(0, src.text(sibling))
            sibling = sibling.prev_sibling
        if sibling is None or sibling.type != "identifier":
            continue
        callee.insert(0, src.text(sibling))
        arguments = node.children[0].children[0]
        values = []
        for argument in arguments.children:
            if argument.type == "named_argument":
                values.append((src.text(argument.children[0]).rstrip(":"), argument.children[-1]))
            elif argument.type == "argument":
                values.append(("", argument.children[0]))
        found.append(Call(_squash("".join(callee)), tuple(values), node))
    return found


def functions(src: Source, name: str) -> list[tree_sitter.Node]:
    """The declarations of functions (or Dart methods, or TS consts holding one) named ``name``.

    For Dart the node returned is the signature; :func:`body_of` finds the body beside it.
    """
    kinds = {"function_declaration", "function_signature", "variable_declarator"}
    found = []
    for node in walk(src.root):
        if node.type not in kinds:
            continue
        name_node = node.child_by_field_name("name")
        if name_node is not None and src.text(name_node) == name:
            found.append(node)
    return found


def function(src: Source, name: str) -> tree_sitter.Node:
    """The one function named ``name``; fails the test when there are none or several."""
    found = functions(src, name)
    assert len(found) == 1, f"{src.path}: {len(found)} functions named {name}"
    return found[0]


def body_of(src: Source, declaration: tree_sitter.Node) -> tree_sitter.Node:
    """The body of a function found by :func:`functions`."""
    if declaration.type == "function_signature":
        parent = declaration.parent
        holder = parent if parent is not None and parent.type == "method_signature" else None
        body = (holder or declaration).next_named_sibling
        assert body is not None, f"{src.where(declaration)}: no body"
        assert body.type == "function_body", f"{src.where(declaration)}: {body.type}"
        return body
    if declaration.type == "variable_declarator":
        return declaration.child_by_field_name("value") or declaration
    body = declaration.child_by_field_name("body")
    if body is None:  # Kotlin has no body field
        body = next(c for c in declaration.children if c.type == "function_body")
    return body


@dataclass(frozen=True)
class Parameter:
    """A parameter: its label at call sites (Swift), its name, and its type as written."""

    label: str
    name: str
    type: str
    escaping: bool = False


def swift_parameters(src: Source, declaration: tree_sitter.Node) -> list[Parameter]:
    """The parameters of a Swift function; the label is the external name, or the name."""
    found = []
    for parameter in declaration.children:
        if parameter.type != "parameter":
            continue
        external = parameter.child_by_field_name("external_name")
        # The grammar files both the name and the type under "name"; the name comes first.
        name, type_node = parameter.children_by_field_name("name")[:2]
        modifiers = [c for c in parameter.children if c.type == "parameter_modifiers"]
        found.append(
            Parameter(
                label=src.text(external) if external is not None else src.text(name),
                name=src.text(name),
                type=_squash(src.text(type_node)),
                escaping=any("@escaping" in src.text(m) for m in modifiers),
            )
        )
    return found


def kotlin_parameters(src: Source, declaration: tree_sitter.Node) -> list[Parameter]:
    """The parameters of a Kotlin function."""
    found = []
    for holder in declaration.children:
        if holder.type != "function_value_parameters":
            continue
        for parameter in holder.children:
            if parameter.type == "parameter":
                name, type_node = parameter.named_children[0], parameter.named_children[-1]
                found.append(Parameter("", src.text(name), _squash(src.text(type_node))))
    return found


def kotlin_modifiers(src: Source, declaration: tree_sitter.Node) -> set[str]:
    """The modifier keywords of a Kotlin declaration (``override``, ``private``...)."""
    return {
        src.text(leaf)
        for child in declaration.children
        if child.type == "modifiers"
        for leaf in walk(child)
        if leaf.child_count == 0
    }


def enclosing(node: tree_sitter.Node, kinds: set[str]) -> tree_sitter.Node | None:
    """The nearest ancestor of one of ``kinds``."""
    parent = node.parent
    while parent is not None and parent.type not in kinds:
        parent = parent.parent
    return parent


def supertypes(src: Source, declaration: tree_sitter.Node) -> list[str]:
    """What a Swift or Kotlin class inherits from, as written (``WebChromeClient()``)."""
    found = []
    for child in declaration.children:
        if child.type == "inheritance_specifier":
            found.append(_squash(src.text(child)))
        elif child.type == "delegation_specifiers":
            found += [_squash(src.text(s)) for s in child.named_children]
    return found


def classes(src: Source, name: str) -> list[tree_sitter.Node]:
    """Class declarations named ``name``."""
    found = []
    for node in walk(src.root):
        if node.type in {"class_declaration", "class_definition"}:
            name_node = node.child_by_field_name("name")
            if name_node is not None and src.text(name_node) == name:
                found.append(node)
    return found


def assignments(src: Source, scope: tree_sitter.Node) -> list[tuple[str, str]]:
    """``(target, value)`` of every Swift or Kotlin assignment under ``scope``, as written."""
    found = []
    for node in walk(scope):
        if node.type != "assignment":
            continue
        target = node.child_by_field_name("target") or node.children[0]
        value = node.child_by_field_name("result") or node.children[-1]
        found.append((_squash(src.text(target)), _squash(src.text(value))))
    return found


def names_in(src: Source, node: tree_sitter.Node) -> set[str]:
    """Every identifier spelled under ``node`` (never comments or string contents)."""
    return {src.text(n) for n in walk(node) if n.type in _NAME_TYPES}
