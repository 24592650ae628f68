"""Just enough of the Java class-file format to list a class's members and add method stubs.

API 23's android.jar lacks a few members the shims use (API 24-26). Those are declared in small
Java stubs, compiled with javac, and their method signatures are added to the real classes of
the jar, so everything else about those classes stays exactly what Android ships.
(JVM spec, chapter 4: https://docs.oracle.com/javase/specs/jvms/se17/html/jvms-4.html)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

ACC_PUBLIC = 0x0001
ACC_PRIVATE = 0x0002
ACC_STATIC = 0x0008
ACC_NATIVE = 0x0100
ACC_SYNTHETIC = 0x1000
ACC_BRIDGE = 0x0040

# Constant-pool tag -> size of its body in bytes (Utf8 is variable). Long and Double take two slots.
_CP_SIZES = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4}
_CP_SIZES.update({18: 4, 19: 2, 20: 2})


class ClassFileError(ValueError):
    """The bytes are not a class file this reader understands."""


@dataclass(frozen=True)
class Member:
    """A field or method: name, JVM descriptor, access flags, generic signature if any."""

    name: str
    descriptor: str
    access: int
    signature: str | None = None

    @property
    def visible(self) -> bool:
        """Public or protected, and written by hand (not synthetic or a bridge)."""
        return not self.access & (ACC_PRIVATE | ACC_SYNTHETIC | ACC_BRIDGE)


@dataclass(frozen=True)
class ClassInfo:
    """What the checks need from a class file."""

    name: str
    super_name: str | None
    interfaces: tuple[str, ...]
    fields: tuple[Member, ...]
    methods: tuple[Member, ...]


@dataclass
class _Parsed:
    data: bytes
    utf8: dict[int, str]
    classes: dict[int, int]
    cp_count: int
    cp_end: int
    methods_count_at: int
    methods_end: int
    info: ClassInfo


def _parse(data: bytes) -> _Parsed:
    if data[:4] != b"\xca\xfe\xba\xbe":
        raise ClassFileError("not a class file")
    (cp_count,) = struct.unpack_from(">H", data, 8)
    utf8: dict[int, str] = {}
    classes: dict[int, int] = {}
    pos = 10
    index = 1
    while index < cp_count:
        tag = data[pos]
        pos += 1
        if tag == 1:
            (length,) = struct.unpack_from(">H", data, pos)
            # Modified UTF-8; names and descriptors here are plain ASCII in practice.
            utf8[index] = data[pos + 2 : pos + 2 + length].decode("utf-8", errors="replace")
            pos += 2 + length
        elif tag in _CP_SIZES:
            if tag == 7:
                classes[index] = struct.unpack_from(">H", data, pos)[0]
            pos += _CP_SIZES[tag]
            if tag in (5, 6):
                index += 1
        else:
            raise ClassFileError(f"unknown constant-pool tag {tag}")
        index += 1
    cp_end = pos
    _access, this_class, super_class, n_interfaces = struct.unpack_from(">HHHH", data, pos)
    pos += 8
    interfaces = struct.unpack_from(f">{n_interfaces}H", data, pos)
    pos += 2 * n_interfaces

    def class_name(cp_index: int) -> str:
        return utf8[classes[cp_index]]

    def members(pos: int) -> tuple[tuple[Member, ...], int, int]:
        count_at = pos
        (count,) = struct.unpack_from(">H", data, pos)
        pos += 2
        found = []
        for _ in range(count):
            access, name, descriptor, n_attributes = struct.unpack_from(">HHHH", data, pos)
            pos += 8
            signature = None
            for _ in range(n_attributes):
                attr_name, length = struct.unpack_from(">HI", data, pos)
                if utf8.get(attr_name) == "Signature":
                    signature = utf8[struct.unpack_from(">H", data, pos + 6)[0]]
                pos += 6 + length
            found.append(Member(utf8[name], utf8[descriptor], access, signature))
        return tuple(found), count_at, pos

    fields, _, pos = members(pos)
    methods, methods_count_at, methods_end = members(pos)
    info = ClassInfo(
        name=class_name(this_class),
        super_name=class_name(super_class) if super_class else None,
        interfaces=tuple(class_name(i) for i in interfaces),
        fields=fields,
        methods=methods,
    )
    return _Parsed(data, utf8, classes, cp_count, cp_end, methods_count_at, methods_end, info)


def read_class(data: bytes) -> ClassInfo:
    """List the members of a class file."""
    return _parse(data).info


def add_methods(data: bytes, methods: list[Member]) -> bytes:
    """Return ``data`` with method declarations added (native, so they need no code).

    Refuses a method the class already has: a stub for a member the jar already holds would
    hide a real signature.
    """
    parsed = _parse(data)
    existing = {(m.name, m.descriptor) for m in parsed.info.methods}
    new_entries = bytearray()
    cp_count = parsed.cp_count
    by_text = {text: index for index, text in parsed.utf8.items()}

    def utf8_index(text: str) -> int:
        nonlocal cp_count
        if text not in by_text:
            encoded = text.encode("utf-8")
            new_entries.extend(struct.pack(">BH", 1, len(encoded)) + encoded)
            by_text[text] = cp_count
            cp_count += 1
        return by_text[text]

    added = bytearray()
    for method in methods:
        if (method.name, method.descriptor) in existing:
            raise ClassFileError(
                f"{parsed.info.name}.{method.name}{method.descriptor} is already in the jar; "
                "remove it from the stubs"
            )
        attributes = b""
        count = 0
        if method.signature is not None:
            attributes = struct.pack(
                ">HIH", utf8_index("Signature"), 2, utf8_index(method.signature)
            )
            count = 1
        added.extend(
            struct.pack(
                ">HHHH",
                (method.access | ACC_NATIVE) & ~ACC_SYNTHETIC,
                utf8_index(method.name),
                utf8_index(method.descriptor),
                count,
            )
            + attributes
        )
    if cp_count > 0xFFFF:
        raise ClassFileError("constant pool overflow")
    (old_count,) = struct.unpack_from(">H", data, parsed.methods_count_at)
    return b"".join(
        [
            data[:8],
            struct.pack(">H", cp_count),
            data[10 : parsed.cp_end],
            bytes(new_entries),
            data[parsed.cp_end : parsed.methods_count_at],
            struct.pack(">H", old_count + len(methods)),
            data[parsed.methods_count_at + 2 : parsed.methods_end],
            bytes(added),
            data[parsed.methods_end :],
        ]
    )
