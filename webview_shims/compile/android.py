"""The Kotlin check's class path: API 23's android.jar, its API 24-26 additions, AndroidX stubs."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

from webview_shims.compile.classfile import Member, add_methods, read_class
from webview_shims.compile.drift import GeneratedStubs, check_class
from webview_shims.compile.workspace import HERE, CheckError, run

STUBS = HERE / "android" / "stubs"
# Members added to real android.jar classes: API 24-26 signatures the shims use.
API_ADDITIONS = STUBS / "api24_26"
# Whole AndroidX classes (activity, core, browser, lifecycle, annotation), members used only.
ANDROIDX = STUBS / "androidx"


def _sources(root: Path) -> list[Path]:
    return sorted(root.rglob("*.java"))


def _javac(sources: list[Path], classpath: list[Path], out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    run(
        [
            "javac",
            "-nowarn",
            "-Xlint:none",
            "-encoding",
            "UTF-8",
            "--release",
            "8",
            "-classpath",
            ":".join(str(p) for p in classpath),
            "-d",
            str(out),
            *[str(s) for s in sources],
        ]
    )


def _class_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.class"))


def build_classpath(android_jar: Path, cache: Path) -> list[Path]:
    """android.jar with the API 24-26 members added, and the compiled AndroidX stubs."""
    digest = hashlib.sha256(android_jar.name.encode())
    for stub in _sources(API_ADDITIONS) + _sources(ANDROIDX):
        digest.update(stub.read_bytes())
    target = cache / "android" / f"classpath-{digest.hexdigest()[:12]}"
    patched = target / "android-23-with-api24-26.jar"
    androidx = target / "androidx"
    if (target / ".built").exists():
        return [patched, androidx]
    additions = target / "api24_26"
    _javac(_sources(API_ADDITIONS), [android_jar], additions)
    patches: dict[str, list[Member]] = {}
    for class_file in _class_files(additions):
        info = read_class(class_file.read_bytes())
        patches[info.name + ".class"] = [
            m for m in info.methods if m.visible and m.name not in ("<init>", "<clinit>")
        ]
    with zipfile.ZipFile(android_jar) as real, zipfile.ZipFile(patched, "w") as out:
        missing = set(patches) - set(real.namelist())
        if missing:
            raise CheckError(f"API 24-26 stubs for classes android.jar lacks: {sorted(missing)}")
        for item in real.infolist():
            data = real.read(item)
            if item.filename in patches:
                data = add_methods(data, patches[item.filename])
            out.writestr(item, data)
    _javac(_sources(ANDROIDX), [patched], androidx)
    (target / ".built").touch()
    return [patched, androidx]


def stub_drift(classpath: list[Path], generated_root: Path) -> list[str]:
    """Every difference between the compiled stubs and the generated stubs of the real jars."""
    generated = GeneratedStubs(generated_root)
    problems: list[str] = []
    stub_dirs = [classpath[0].parent / "api24_26", classpath[1]]
    for stub_dir in stub_dirs:
        for class_file in _class_files(stub_dir):
            problems.extend(check_class(read_class(class_file.read_bytes()), generated))
    return problems
