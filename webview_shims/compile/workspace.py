"""Paths, the cache folder, running commands, and the shim trees the checks compile."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from webview_shims.config import load_config
from webview_shims.render import DEFAULT_OUTPUT_DIR, render_files, write_tree

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# Git-ignored. CI starts without it and fills it from the registries.
DEFAULT_CACHE = REPO / ".cache" / "shims-compile"
# The non-default configuration rendered next to the committed output: the shim tests' golden
# config (microphone on, uploads off, a custom-scheme and an https return URL, values that need
# escaping in every language).
SECOND_CONFIG = REPO / "tests" / "shims" / "golden" / "shims.toml"


class CheckError(RuntimeError):
    """A toolchain could not be set up, or a check could not run at all."""


@dataclass(frozen=True)
class ShimTree:
    """One rendered output directory and a short name for messages."""

    name: str
    root: Path

    def files(self, *patterns: str) -> list[Path]:
        """The files of this tree matching any of ``patterns`` (globs relative to the root)."""
        found: list[Path] = []
        for pattern in patterns:
            found.extend(sorted(self.root.glob(pattern)))
        return found


def shim_trees(work: Path) -> list[ShimTree]:
    """The committed output, and a fresh render of the second configuration under ``work``."""
    second = work / "golden-config"
    if second.exists():
        shutil.rmtree(second)
    write_tree(render_files(load_config(SECOND_CONFIG)), second)
    return [ShimTree("generated", DEFAULT_OUTPUT_DIR), ShimTree("golden-config", second)]


def as_root(command: Sequence[str]) -> list[str]:
    """Prefix ``sudo`` when this process is not root (debootstrap, chroot and mount need root)."""
    if os.geteuid() == 0:
        return list(command)
    if shutil.which("sudo") is None:
        raise CheckError(f"{command[0]} needs root: run as root or install sudo")
    return ["sudo", "--non-interactive", *command]


def run(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, capturing its output; raise CheckError with that output when it fails."""
    result = subprocess.run(  # noqa: S603 - every command is built from fixed arguments here
        list(command),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise CheckError(f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stdout}")
    return result


def log(message: str) -> None:
    """Progress on stderr, flushed, so CI logs show where the time goes."""
    print(f"[shims-compile] {message}", flush=True)


@contextmanager
def timed(what: str) -> Iterator[None]:
    """Log how long the block took."""
    start = time.monotonic()
    yield
    log(f"{what}: {time.monotonic() - start:.1f} s")
