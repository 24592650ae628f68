"""Fetch the toolchains from the registries into the cache, once: npm, Debian, PyPI.

Each step checks a stamp (or a content hash in the folder name) first, so a warm run only
verifies; deleting the cache folder rebuilds everything.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from webview_shims.compile.workspace import HERE, CheckError, as_root, run, timed

DEBIAN_MIRROR = os.environ.get("SHIMS_COMPILE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Swift 6.2 and the Dart SDK with Flutter's framework sources are packaged in sid only.
CHROOT_SUITE = "sid"
CHROOT_PACKAGES = ("swiftlang", "libc6-dev", "dart-sdk", "flutter", "sky-engine")
# API 23's android.jar is packaged in bullseye (and sid), not bookworm.
ANDROID_SUITE = "bullseye"
ANDROID_PACKAGE = "libandroid-23-java"
ANDROID_JAR_IN_DEB = "usr/share/java/com.android.android-23.jar"
CHAQUOPY_REQUIREMENTS = HERE / "android" / "chaquopy-stubs.txt"


def _digest(*paths: Path) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:12]


def npm_project(source: Path, cache: Path) -> Path:
    """``npm ci`` the package.json + package-lock.json in ``source`` into the cache; return it.

    The folder name carries a hash of the three files, so a changed lock file installs afresh.
    """
    files = [source / "package.json", source / "package-lock.json", source / ".npmrc"]
    target = cache / "npm" / f"{source.parent.name}-{source.name}-{_digest(*files)}"
    stamp = target / ".installed"
    if stamp.exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for file in files:
        shutil.copy2(file, target / file.name)
    with timed(f"npm ci {source.relative_to(HERE)}"):
        run(["npm", "ci", "--no-audit", "--no-fund"], cwd=target)
    stamp.touch()
    return target


def _apt_options(state: Path, suite: str) -> list[str]:
    """apt-get options for a private apt state: the system's sources and lists stay untouched."""
    (state / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (state / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    sources = state / "sources.list"
    sources.write_text(
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        f"{DEBIAN_MIRROR} {suite} main\n"
    )
    (state / "status").touch()
    return [
        f"-oDir::Etc::SourceList={sources}",
        "-oDir::Etc::SourceParts=/dev/null",
        f"-oDir::State::Lists={state / 'lists'}",
        f"-oDir::State::Status={state / 'status'}",
        f"-oDir::Cache={state / 'cache'}",
        "-oAPT::Architecture=amd64",
        # The suites' Release files may look expired to this machine's clock.
        "-oAcquire::Check-Valid-Until=false",
        "-oAPT::Sandbox::User=" + ("root" if os.geteuid() == 0 else "_apt"),
        "-oDebug::NoLocking=true",
    ]


def android_jar(cache: Path) -> Path:
    """API 23's real android.jar, from Debian's libandroid-23-java (downloaded, unpacked)."""
    target = cache / "android" / "android-23.jar"
    if target.exists():
        return target
    state = cache / "android" / f"apt-{ANDROID_SUITE}"
    options = _apt_options(state, ANDROID_SUITE)
    download = cache / "android" / "deb"
    if download.exists():
        shutil.rmtree(download)
    download.mkdir(parents=True)
    with timed(f"apt-get download {ANDROID_PACKAGE} ({ANDROID_SUITE})"):
        run(["apt-get", *options, "-qq", "update"])
        run(["apt-get", *options, "download", ANDROID_PACKAGE], cwd=download)
    debs = sorted(download.glob(f"{ANDROID_PACKAGE}_*.deb"))
    if not debs:
        raise CheckError(f"apt-get download {ANDROID_PACKAGE} left no .deb in {download}")
    unpacked = download / "root"
    run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)])
    jar = unpacked / ANDROID_JAR_IN_DEB
    if not jar.is_file():
        raise CheckError(f"{debs[0].name} has no {ANDROID_JAR_IN_DEB}")
    shutil.copy2(jar, target)
    return target


def chaquopy_stubs(cache: Path) -> Path:
    """Unpack the pinned chaquopy-stubs-* wheels (generated from the real jars and AARs)."""
    target = cache / "android" / f"chaquopy-{_digest(CHAQUOPY_REQUIREMENTS)}"
    stamp = target / ".unpacked"
    if stamp.exists():
        return target / "stubs"
    wheels = target / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    with timed("pip download chaquopy-stubs-*"):
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(wheels),
                "--requirement",
                str(CHAQUOPY_REQUIREMENTS),
            ]
        )
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target / "stubs")
    stamp.touch()
    return target / "stubs"


@dataclass(frozen=True)
class Chroot:
    """The Debian sid root with Swift and Dart, and a work folder inside it the user owns."""

    root: Path

    @property
    def work(self) -> Path:
        """The work folder as the host sees it."""
        return self.root / "tmp" / "shims-compile"

    def inside(self, path: Path) -> str:
        """``path`` (under the work folder) as the chroot sees it."""
        return "/" + path.relative_to(self.root).as_posix()

    def run(self, script: str, *, check: bool = False) -> tuple[int, str]:
        """Run a shell script in the chroot as the calling user; return exit code and output."""
        user = f"--userspec={os.getuid()}:{os.getgid()}"
        result = run(
            as_root(
                [
                    "chroot",
                    user,
                    str(self.root),
                    "/usr/bin/env",
                    "-i",
                    "HOME=/tmp/shims-compile",
                    "PATH=/usr/local/bin:/usr/bin:/bin",
                    "LANG=C.UTF-8",
                    "/bin/sh",
                    "-c",
                    script,
                ]
            ),
            check=check,
        )
        return result.returncode, result.stdout


def _debootstrap() -> str:
    for candidate in (shutil.which("debootstrap"), "/usr/sbin/debootstrap"):
        if candidate and Path(candidate).exists():
            return candidate
    raise CheckError("debootstrap is not installed (apt-get install debootstrap)")


@contextmanager
def sid_chroot(cache: Path) -> Iterator[Chroot]:
    """Build (once) and enter the sid chroot: /proc mounted while in use, unmounted after."""
    root = cache / CHROOT_SUITE
    stamp = cache / f"{CHROOT_SUITE}.ready"
    wanted = " ".join(CHROOT_PACKAGES) + "\n"
    fresh = not (stamp.exists() and stamp.read_text() == wanted)
    proc = root / "proc"
    if fresh:
        if proc.is_mount():
            run(as_root(["umount", str(proc)]))
        if root.exists():
            run(as_root(["rm", "-rf", "--one-file-system", str(root)]))
        with timed(f"debootstrap {CHROOT_SUITE}"):
            run(
                as_root(
                    [_debootstrap(), "--variant=minbase", CHROOT_SUITE, str(root), DEBIAN_MIRROR]
                )
            )
    mounted_here = not proc.is_mount()
    if mounted_here:
        run(as_root(["mount", "-t", "proc", "proc", str(proc)]))
    try:
        chroot = Chroot(root)
        if fresh:
            _install_packages(chroot)
            stamp.write_text(wanted)
        run(as_root(["install", "-d", "-m", "0755", f"-o{os.getuid()}", str(chroot.work)]))
        yield chroot
    finally:
        if mounted_here:
            run(as_root(["umount", str(proc)]), check=False)


def _install_packages(chroot: Chroot) -> None:
    conf = "/etc/apt/apt.conf.d/99shims-compile"
    setup = (
        # The suite's Release file may look expired to this machine's clock.
        f"echo 'Acquire::Check-Valid-Until \"false\";' > {conf} && "
        "apt-get -qq update && "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        + " ".join(CHROOT_PACKAGES)
    )
    with timed(f"apt-get install {' '.join(CHROOT_PACKAGES)} (in the chroot)"):
        run(
            as_root(
                [
                    "chroot",
                    str(chroot.root),
                    "/usr/bin/env",
                    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                    "/bin/sh",
                    "-c",
                    setup,
                ]
            )
        )
