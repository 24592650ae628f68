"""The compile check's own parts that run without compilers: class files, stub drift, mutants."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from webview_shims.compile.classfile import (
    ACC_NATIVE,
    ClassFileError,
    ClassInfo,
    Member,
    add_methods,
    read_class,
)
from webview_shims.compile.drift import GeneratedStubs, check_class, parse_descriptor
from webview_shims.compile.mutants import MUTANTS, Mutant
from webview_shims.render import DEFAULT_OUTPUT_DIR

PYI = """
import typing
import android.content
import java

class WebViewClient(java.lang.Object):
    def __init__(self) -> None: ...
    @typing.overload
    def shouldOverrideUrlLoading(self, view: WebView, request: WebResourceRequest, /) -> bool: ...
    @typing.overload
    def shouldOverrideUrlLoading(self, view: WebView, url: str | java.lang.String, /) -> bool: ...

class WebView(android.widget.AbsoluteLayout):
    RENDERER_PRIORITY_BOUND: typing.ClassVar[int] = ...
    def getWebViewClient(self) -> WebViewClient: ...
    @staticmethod
    def setWebContentsDebuggingEnabled(on: bool | java.jboolean | java.lang.Boolean, /) -> None: ...
"""


@pytest.fixture
def generated(tmp_path: Path) -> GeneratedStubs:
    """A tiny generated-stub tree in the chaquopy layout."""
    module = tmp_path / "android-stubs" / "webkit"
    module.mkdir(parents=True)
    (module / "__init__.pyi").write_text(PYI)
    return GeneratedStubs(tmp_path)


def test_descriptors_become_java_types() -> None:
    assert parse_descriptor("(Landroid/webkit/WebView;[Ljava/lang/String;IZ)V") == (
        ["android.webkit.WebView", "java.lang.String[]", "int", "boolean"],
        "void",
    )


def stub(*methods: Member, fields: tuple[Member, ...] = ()) -> ClassInfo:
    """A compiled stub of android.webkit.WebViewClient with these members."""
    return ClassInfo("android/webkit/WebViewClient", "java/lang/Object", (), fields, methods)


def test_a_stub_that_matches_the_real_class_passes(generated: GeneratedStubs) -> None:
    matching = stub(
        Member(
            "shouldOverrideUrlLoading",
            "(Landroid/webkit/WebView;Landroid/webkit/WebResourceRequest;)Z",
            1,
        ),
        Member("<init>", "()V", 1),
    )
    assert check_class(matching, generated) == []
    static = ClassInfo(
        "android/webkit/WebView",
        "java/lang/Object",
        (),
        (Member("RENDERER_PRIORITY_BOUND", "I", 0x19),),
        (Member("setWebContentsDebuggingEnabled", "(Z)V", 0x9),),
    )
    assert check_class(static, generated) == []


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        (
            Member("shouldOverrideUrlLoadings", "(Landroid/webkit/WebView;Ljava/lang/String;)Z", 1),
            "shouldOverrideUrlLoadings(WebView, String) -> boolean: not in the real class",
        ),
        (
            Member("shouldOverrideUrlLoading", "(Landroid/webkit/WebView;I)Z", 1),
            "(it has shouldOverrideUrlLoading(WebView, String) -> boolean",
        ),
        (
            Member("shouldOverrideUrlLoading", "(Landroid/webkit/WebView;Ljava/lang/String;)V", 1),
            "-> void: not in the real class",
        ),
        (
            Member("<init>", "(I)V", 1),
            "__init__(int) -> void: not in the real class",
        ),
    ],
)
def test_a_drifted_stub_is_reported(
    generated: GeneratedStubs, member: Member, problem: str
) -> None:
    [reported] = check_class(stub(member), generated)
    assert problem in reported


def test_wrong_parents_and_unknown_classes_are_reported(generated: GeneratedStubs) -> None:
    wrong_parent = ClassInfo("android/webkit/WebView", "android/app/Activity", (), (), ())
    assert check_class(wrong_parent, generated) == [
        "android.webkit.WebView: the real class does not extend or implement android.app.Activity"
    ]
    unknown = ClassInfo("android/webkit/WebViewCompat", "java/lang/Object", (), (), ())
    assert check_class(unknown, generated) == [
        "android.webkit.WebViewCompat: no such class in the generated stubs"
    ]


@pytest.mark.skipif(shutil.which("javac") is None, reason="needs a JDK's javac")
def test_methods_are_added_to_a_real_class_file(tmp_path: Path) -> None:
    source = tmp_path / "Real.java"
    source.write_text("public class Real { public int size() { return 1; } }\n")
    subprocess.run(["javac", "-d", str(tmp_path), str(source)], check=True)
    original = (tmp_path / "Real.class").read_bytes()

    patched = add_methods(original, [Member("getClient", "()Ljava/lang/Object;", 1)])

    names = {(m.name, m.descriptor, m.access) for m in read_class(patched).methods}
    assert ("size", "()I", 1) in names
    assert ("getClient", "()Ljava/lang/Object;", 1 | ACC_NATIVE) in names
    with pytest.raises(ClassFileError, match="already in the jar"):
        add_methods(original, [Member("size", "()I", 1)])
    # The JVM still reads it: javap parses the patched file.
    (tmp_path / "Real.class").write_bytes(patched)
    if shutil.which("javap"):
        listed = subprocess.run(
            ["javap", "-cp", str(tmp_path), "Real"], capture_output=True, text=True, check=True
        )
        assert "public native java.lang.Object getClient();" in listed.stdout


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"{m.check}: {m.kind}" for m in MUTANTS])
def test_every_mutant_still_applies_to_the_committed_output(mutant: Mutant) -> None:
    text = (DEFAULT_OUTPUT_DIR / mutant.path).read_text(encoding="utf-8")
    assert text.count(mutant.before) == 1
    assert mutant.before != mutant.after
