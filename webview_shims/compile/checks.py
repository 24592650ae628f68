"""The four checks: each compiles shim trees and says whether its compiler accepted them."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from webview_shims.compile import android, toolchains
from webview_shims.compile.workspace import HERE, CheckError, ShimTree, run, timed


@dataclass(frozen=True)
class Outcome:
    """What a compiler said about a set of trees."""

    accepted: bool
    output: str
    # False when some compiler run accepted the input (TypeScript runs one per version set).
    all_rejected: bool | None = None

    @property
    def rejected_everywhere(self) -> bool:
        """True when every compiler run refused the input."""
        return not self.accepted if self.all_rejected is None else self.all_rejected


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# -- React Native / TypeScript ------------------------------------------------------------------

TS_SETS = ("oldest", "current")
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "noUnusedLocals": True,
        "noUnusedParameters": True,
        "noImplicitReturns": True,
        "noFallthroughCasesInSwitch": True,
        "exactOptionalPropertyTypes": False,
        "jsx": "react-jsx",
        "target": "es2022",
        "lib": ["es2022"],
        "module": "esnext",
        "moduleResolution": "bundler",
        # Only our files are checked; the libraries' own sources are theirs to type-check.
        "skipLibCheck": True,
        "types": [],
    },
}


@dataclass
class TypeScriptCheck:
    """``tsc --noEmit`` in strict mode against real react-native typings, oldest and current."""

    cache: Path
    name: str = "typescript"
    projects: dict[str, Path] = field(default_factory=dict)

    def prepare(self) -> None:
        """npm ci both version sets."""
        for version_set in TS_SETS:
            self.projects[version_set] = toolchains.npm_project(
                HERE / "react-native" / version_set, self.cache
            )

    def compile(self, trees: list[ShimTree]) -> Outcome:
        """Accepted only when every version set accepts every tree."""
        accepted = True
        rejected = True
        output = []
        for version_set, project in self.projects.items():
            work = _fresh(project / "check")
            files = []
            for tree in trees:
                for source in tree.files("react-native/*.tsx"):
                    target = work / tree.name / source.name
                    target.parent.mkdir(exist_ok=True)
                    shutil.copy2(source, target)
                    files.append(target.relative_to(project).as_posix())
            (project / "tsconfig.json").write_text(json.dumps({**TSCONFIG, "files": files}))
            tsc = project / "node_modules" / ".bin" / "tsc"
            result = run([str(tsc), "-p", "tsconfig.json"], cwd=project, check=False)
            accepted = accepted and result.returncode == 0
            rejected = rejected and result.returncode != 0
            output.append(f"[{version_set}] {result.stdout.strip() or 'no errors'}")
        return Outcome(accepted, "\n".join(output), all_rejected=rejected)


# -- Android / Kotlin ---------------------------------------------------------------------------


@dataclass
class KotlinCheck:
    """kotlinc -Werror against API 23's android.jar (+ API 24-26 members) and AndroidX stubs."""

    cache: Path
    name: str = "kotlin"
    kotlinc: Path | None = None
    classpath: list[Path] = field(default_factory=list)

    def prepare(self) -> None:
        """Fetch kotlinc and android.jar, build the stubs and check them against the real ones."""
        compiler = toolchains.npm_project(HERE / "android", self.cache)
        self.kotlinc = compiler / "node_modules" / "kotlin-compiler" / "bin" / "kotlinc"
        jar = toolchains.android_jar(self.cache)
        self.classpath = android.build_classpath(jar, self.cache)
        generated = toolchains.chaquopy_stubs(self.cache)
        with timed("Android stubs compared with the generated stubs of the real jars"):
            problems = android.stub_drift(self.classpath, generated)
        if problems:
            raise CheckError(
                "the Android stubs differ from the real API:\n  " + "\n  ".join(problems)
            )

    def compile(self, trees: list[ShimTree]) -> Outcome:
        """One kotlinc run over every tree (each tree has its own package)."""
        assert self.kotlinc is not None
        sources = [str(f) for t in trees for f in t.files("android/*.kt", "quickstart/*.kt")]
        out = _fresh(self.cache / "kotlin-out")
        result = run(
            [
                str(self.kotlinc),
                "-Werror",
                "-jvm-target",
                "17",
                "-classpath",
                ":".join(str(p) for p in self.classpath),
                "-d",
                str(out),
                *sources,
            ],
            env={"JAVA_OPTS": os.environ.get("JAVA_OPTS", "-Xss4m")},
            check=False,
        )
        return Outcome(result.returncode == 0, result.stdout.strip() or "no errors")


# -- iOS / Swift (in the chroot) ----------------------------------------------------------------

SWIFT_STUB_ORDER = ("os", "UIKit", "WebKit", "AuthenticationServices", "SwiftUI")


@dataclass
class SwiftCheck:
    """swiftc -typecheck -warnings-as-errors against stub modules of Apple's frameworks."""

    chroot: toolchains.Chroot
    name: str = "swift"

    def prepare(self) -> None:
        """Compile the stub modules (library evolution on, like Apple's) inside the chroot."""
        work = _fresh(self.chroot.work / "swift")
        stubs = _fresh(work / "stubs")
        for module in SWIFT_STUB_ORDER:
            shutil.copy2(HERE / "ios" / f"{module}.swift", stubs / f"{module}.swift")
        _fresh(work / "modules")
        inside = self.chroot.inside(work)
        script = f"cd {inside} && " + " && ".join(
            f"swiftc -emit-module -parse-as-library -enable-library-evolution "
            f"-suppress-warnings -module-name {m} -I modules "
            f"-o modules/{m}.swiftmodule stubs/{m}.swift"
            for m in SWIFT_STUB_ORDER
        )
        code, output = self.chroot.run(script)
        if code != 0:
            raise CheckError(f"the Swift stub modules do not compile:\n{output}")

    def compile(self, trees: list[ShimTree]) -> Outcome:
        """Each tree is type-checked on its own (they declare the same types)."""
        work = self.chroot.work / "swift"
        accepted = True
        output = []
        for tree in trees:
            sources = _fresh(work / "src" / tree.name)
            for source in tree.files("ios/*.swift", "quickstart/*.swift"):
                shutil.copy2(source, sources / source.name)
            code, text = self.chroot.run(
                f"cd {self.chroot.inside(work)} && swiftc -typecheck -warnings-as-errors "
                f"-I modules src/{tree.name}/*.swift"
            )
            accepted = accepted and code == 0
            output.append(f"[{tree.name}] {_clean_swift(text) or 'no errors'}")
        return Outcome(accepted, "\n".join(output))


def _clean_swift(text: str) -> str:
    # Drop the source excerpts swiftc prints under each diagnostic; keep the diagnostics.
    kept = [line for line in text.splitlines() if not re.match(r"^\s*(\d+\s*)?\|", line)]
    return "\n".join(line for line in kept if line.strip()).strip()


# -- Flutter / Dart (in the chroot) -------------------------------------------------------------

# Flutter's framework and its dependencies, as Debian installs them in the chroot.
DART_SYSTEM_PACKAGES = (
    "flutter",
    "sky_engine",
    "characters",
    "collection",
    "material_color_utilities",
    "meta",
    "vector_math",
)
DART_SYSTEM_ROOT = "/usr/share/dart/packages"
DART_STUB_PACKAGES = ("flutter_inappwebview", "permission_handler", "url_launcher")
# The README promises Flutter 3.16, which ships Dart 3.2: newer language features must fail.
SHIM_LANGUAGE_VERSION = "3.2"


@dataclass
class DartCheck:
    """dart analyze --fatal-infos (strict casts, inference, raw types) against Flutter's sources."""

    chroot: toolchains.Chroot
    name: str = "dart"

    def prepare(self) -> None:
        """Lay out a package whose hand-written package config names Flutter and the stubs."""
        work = _fresh(self.chroot.work / "dart")
        shutil.copytree(HERE / "flutter" / "packages", work / "packages")
        shutil.copy2(HERE / "flutter" / "analysis_options.yaml", work / "analysis_options.yaml")
        (work / "pubspec.yaml").write_text(
            f'name: shims_check\nenvironment:\n  sdk: ">={SHIM_LANGUAGE_VERSION}.0 <4.0.0"\n'
        )
        packages = []
        for name in DART_SYSTEM_PACKAGES:
            pubspec = self.chroot.root / DART_SYSTEM_ROOT.lstrip("/") / name / "pubspec.yaml"
            packages.append(
                {
                    "name": name,
                    "rootUri": f"file://{DART_SYSTEM_ROOT}/{name}/",
                    "packageUri": "lib/",
                    "languageVersion": _language_version(pubspec),
                }
            )
        for name in DART_STUB_PACKAGES:
            packages.append(
                {
                    "name": name,
                    "rootUri": f"../packages/{name}/",
                    "packageUri": "lib/",
                    "languageVersion": SHIM_LANGUAGE_VERSION,
                }
            )
        packages.append(
            {
                "name": "shims_check",
                "rootUri": "../",
                "packageUri": "lib/",
                "languageVersion": SHIM_LANGUAGE_VERSION,
            }
        )
        config = {"configVersion": 2, "packages": packages}
        (work / ".dart_tool").mkdir()
        (work / ".dart_tool" / "package_config.json").write_text(json.dumps(config, indent=2))

    def compile(self, trees: list[ShimTree]) -> Outcome:
        """One analysis of every tree (each in its own folder of lib/) and of the stubs."""
        work = self.chroot.work / "dart"
        lib = _fresh(work / "lib")
        for tree in trees:
            (lib / tree.name).mkdir()
            for source in tree.files("flutter/*.dart"):
                shutil.copy2(source, lib / tree.name / source.name)
        code, text = self.chroot.run(
            f"cd {self.chroot.inside(work)} && dart --disable-analytics analyze --fatal-infos "
            "lib packages"
        )
        return Outcome(code == 0, text.strip())


def _language_version(pubspec: Path) -> str:
    match = re.search(r"^\s+sdk:\s*['\"]?[\^>=]*\s*(\d+)\.(\d+)", pubspec.read_text(), re.M)
    if match is None:
        raise CheckError(f"{pubspec}: no Dart SDK constraint to take the language version from")
    return f"{match.group(1)}.{match.group(2)}"


class Check(Protocol):
    """A compiler run over shim trees."""

    name: str

    def prepare(self) -> None:
        """Set up the toolchain and stubs; raise CheckError when that fails."""

    def compile(self, trees: list[ShimTree]) -> Outcome:
        """Compile ``trees``; the outcome says whether the compiler accepted them."""


def all_checks(cache: Path, chroot: toolchains.Chroot | None) -> list[Check]:
    """Build the checks; the Swift and Dart ones need the chroot."""
    checks: list[Check] = [TypeScriptCheck(cache), KotlinCheck(cache)]
    if chroot is not None:
        checks += [SwiftCheck(chroot), DartCheck(chroot)]
    return checks
