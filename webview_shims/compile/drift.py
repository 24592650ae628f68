"""Compare the hand-written Android stubs with stubs generated from the real jars and AARs.

The chaquopy-stubs-* wheels on PyPI hold ``.pyi`` files that chaquopy-stubgen writes from the
real android.jar (API 36) and AndroidX artifacts. Every public member of every stub class must
exist there with the same parameter types (generics erased) and a compatible return type, and
the stub's superclass and interfaces must be among the real class's ancestors. A stub class whose
library has no generated stubs must be listed in UNCHECKED, so the gap stays visible.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from webview_shims.compile.classfile import ACC_STATIC, ClassInfo, Member

# No chaquopy-stubs-androidx-browser-* wheel is published.
UNCHECKED_PREFIXES = ("androidx/browser/",)

_PRIMITIVES = {"B": "byte", "C": "char", "D": "double", "F": "float", "I": "int", "J": "long"}
_PRIMITIVES.update({"S": "short", "Z": "boolean", "V": "void"})
_BOXED = {
    "java.lang.Integer": "int",
    "java.lang.Boolean": "boolean",
    "java.lang.Long": "long",
    "java.lang.Double": "double",
    "java.lang.Float": "float",
    "java.lang.Short": "short",
    "java.lang.Byte": "byte",
    "java.lang.Character": "char",
}
_PY_BUILTINS = {"int": "int", "bool": "boolean", "str": "java.lang.String", "float": "double"}
OBJECT = "java.lang.Object"


def parse_descriptor(descriptor: str) -> tuple[list[str], str]:
    """``(Ljava/lang/String;I)V`` -> (["java.lang.String", "int"], "void")."""
    types: list[str] = []
    pos = 1
    while descriptor[pos] != ")":
        parsed, pos = _one_type(descriptor, pos)
        types.append(parsed)
    returns, _ = _one_type(descriptor, pos + 1)
    return types, returns


def _one_type(descriptor: str, pos: int) -> tuple[str, int]:
    dims = 0
    while descriptor[pos] == "[":
        dims += 1
        pos += 1
    if descriptor[pos] == "L":
        end = descriptor.index(";", pos)
        name = descriptor[pos + 1 : end].replace("/", ".")
        pos = end + 1
    else:
        name = _PRIMITIVES[descriptor[pos]]
        pos += 1
    return name + "[]" * dims, pos


@dataclass
class _PyClass:
    fqn: str
    module: str
    node: ast.ClassDef
    bases: list[str] = field(default_factory=list)


class GeneratedStubs:
    """Lazy index of the ``*-stubs`` packages unpacked from the chaquopy wheels."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._modules: dict[str, ast.Module | None] = {}

    def _module(self, package: str) -> ast.Module | None:
        if package not in self._modules:
            top, *rest = package.split(".")
            path = self.root / f"{top}-stubs" / Path(*rest) / "__init__.pyi"
            if not rest:
                path = self.root / f"{top}-stubs" / "__init__.pyi"
            self._modules[package] = (
                ast.parse(path.read_text(encoding="utf-8")) if path.is_file() else None
            )
        return self._modules[package]

    def find(self, fqn: str) -> _PyClass | None:
        """The class ``a.b.Outer$Inner``, or None when no generated stub has it."""
        package, _, simple = fqn.rpartition(".")
        module = self._module(package)
        if module is None:
            return None
        body: list[ast.stmt] = module.body
        node: ast.ClassDef | None = None
        for part in simple.split("$"):
            node = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == part), None)
            if node is None:
                return None
            body = node.body
        assert node is not None
        found = _PyClass(fqn, package, node)
        found.bases = [self.java_type(base, package) for base in node.bases]
        return found

    def java_type(self, node: ast.expr, package: str) -> str:
        """Turn a ``.pyi`` annotation into the erased Java type the JVM descriptor would name."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            members = _union_members(node)
            for member in members:
                text = ast.unparse(member)
                if text.startswith("java.j") and text[6:] in _PRIMITIVES.values():
                    return text[6:]
            if any(ast.unparse(m) == "str" for m in members):
                return "java.lang.String"
            kept = [m for m in members if ast.unparse(m) != "None"]
            return self.java_type(kept[0], package)
        if isinstance(node, ast.Subscript):
            outer = ast.unparse(node.value)
            if outer == "java.chaquopy.JavaArray":
                return self.java_type(node.slice, package) + "[]"
            if outer == "typing.ClassVar":
                return self.java_type(node.slice, package)
            return self.java_type(node.value, package)
        text = ast.unparse(node)
        if text == "None":
            return "void"
        if text in _PY_BUILTINS:
            return _PY_BUILTINS[text]
        if text.startswith("_"):
            return OBJECT  # a type variable, erased
        parts = text.split(".")
        first_class = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts))
        if first_class == 0:
            return f"{package}.{'$'.join(parts)}"
        return ".".join(parts[:first_class]) + "." + "$".join(parts[first_class:])

    def ancestors(self, cls: _PyClass) -> set[str]:
        """Every superclass and interface reachable through generated stubs, names erased."""
        seen: set[str] = set()
        todo = list(cls.bases)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            found = self.find(name)
            if found is not None:
                todo.extend(found.bases)
        return seen


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def _same(a: str, b: str) -> bool:
    a, b = _BOXED.get(a, a), _BOXED.get(b, b)
    return a == b or OBJECT in (a, b)


def _signature(generated: GeneratedStubs, fn: ast.FunctionDef, package: str) -> tuple:
    static = any(ast.unparse(d) == "staticmethod" for d in fn.decorator_list)
    args = fn.args.posonlyargs + fn.args.args
    if not static:
        args = args[1:]
    params = [generated.java_type(a.annotation, package) if a.annotation else OBJECT for a in args]
    returns = generated.java_type(fn.returns, package) if fn.returns else "void"
    return static, params, returns


def _describe(name: str, params: list[str]) -> str:
    short = [re.sub(r"^[a-z0-9.]*\.", "", p) for p in params]
    return f"{name}({', '.join(short)})"


def check_class(stub: ClassInfo, generated: GeneratedStubs) -> list[str]:
    """Problems with one compiled stub class; an empty list when it matches the real one."""
    fqn = stub.name.replace("/", ".")
    if stub.name.startswith(UNCHECKED_PREFIXES):
        return []
    real = generated.find(fqn)
    if real is None:
        return [f"{fqn}: no such class in the generated stubs"]
    problems: list[str] = []
    ancestors = generated.ancestors(real)
    for parent in (stub.super_name, *stub.interfaces):
        name = (parent or "java/lang/Object").replace("/", ".")
        if name != OBJECT and name not in ancestors:
            problems.append(f"{fqn}: the real class does not extend or implement {name}")
    owners = [real] + [c for c in (generated.find(a) for a in sorted(ancestors)) if c]
    for member in stub.methods:
        if not member.visible or member.name == "<clinit>":
            continue
        problems.extend(_check_method(fqn, member, owners, generated))
    for member in stub.fields:
        if member.visible and not _has_field(member.name, owners):
            problems.append(f"{fqn}.{member.name}: no such field in the real class")
    return problems


def _check_method(
    fqn: str, member: Member, owners: list[_PyClass], generated: GeneratedStubs
) -> list[str]:
    name = "__init__" if member.name == "<init>" else member.name
    params, returns = parse_descriptor(member.descriptor)
    candidates = []
    search = owners[:1] if name == "__init__" else owners
    for owner in search:
        for node in owner.node.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                candidates.append(_signature(generated, node, owner.module))
    static = bool(member.access & ACC_STATIC)
    for is_static, real_params, real_returns in candidates:
        if (
            is_static == static
            and len(real_params) == len(params)
            and all(_same(a, b) for a, b in zip(real_params, params, strict=True))
            and (name == "__init__" or _same(real_returns, returns))
        ):
            return []
    have = "; ".join(sorted({_describe(name, p) + f" -> {r}" for _, p, r in candidates}))
    return [
        f"{fqn}.{_describe(name, params)} -> {returns}: not in the real class"
        + (f" (it has {have})" if have else "")
    ]


def _has_field(name: str, owners: list[_PyClass]) -> bool:
    for owner in owners:
        for node in owner.node.body:
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
            ):
                return True
    return False
