"""The processes a benchmark starts: gunicorn servers and the kit's worker, each in its own group.

Every process is started here and stopped here, by its own process group id, also when the bench
fails or is interrupted. Output goes to one log file per process, never to the terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from bench._http import Client

ROOT = Path(__file__).resolve().parent.parent
READY_SECONDS = 60.0
STOP_SECONDS = 20.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# gunicorn's threaded worker, as `onboarding-kit serve` uses it.
GUNICORN_WORKER_CLASS = "gthread"


def executable(name: str) -> str:
    """A console script of this Python environment (``onboarding-kit``, ``gunicorn``)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise RuntimeError(f"{path} is missing: install the project first (make .venv/.installed)")
    return str(path)


@dataclass
class Process:
    """One started process (a gunicorn master with its workers, or a single process)."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    url: str | None = None

    @property
    def pid(self) -> int:
        """The process id (for gunicorn: the master's)."""
        return self.popen.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process and its live children, from /proc."""
        return sum(_cpu_ticks(pid) for pid in (self.pid, *_children(self.pid))) / CLOCK_TICKS

    def log_tail(self, lines: int = 30) -> str:
        """The end of the process's log, to explain a failure."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    """Owns every process a benchmark starts; stops them all on exit, whatever happened."""

    log_dir: Path
    started: list[Process] = field(default_factory=list)

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        *,
        url: str | None = None,
        ready_path: str | None = None,
    ) -> Process:
        """Start ``argv`` in a new process group; with ``ready_path``, wait until it answers 200."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        # gunicorn (25.1+) opens a control socket under $XDG_RUNTIME_DIR, by default one path
        # shared by every gunicorn of the user: each process gets a folder of its own instead.
        runtime_dir = self.log_dir / "run" / name
        runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with log_path.open("ab") as log:
            popen = subprocess.Popen(  # noqa: S603 - argv is built by the bench, never from input
                argv,
                cwd=ROOT,
                env={**env, "XDG_RUNTIME_DIR": str(runtime_dir)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own group: stopped by group id, and Ctrl+C reaches only the bench itself.
                start_new_session=True,
            )
        process = Process(name, popen, log_path, url)
        self.started.append(process)
        if url is not None and ready_path is not None:
            wait_ready(process, url + ready_path)
        return process

    def stop(self, process: Process) -> None:
        """Stop one process group: SIGTERM, then SIGKILL after a deadline."""
        if process in self.started:
            self.started.remove(process)
        _stop_group(process.popen)

    def stop_all(self) -> None:
        """Stop every process still running, newest first."""
        while self.started:
            self.stop(self.started[-1])


def wait_ready(process: Process, url: str) -> None:
    """Poll ``url`` until it answers 200; fail with the log's tail if the process dies first."""
    deadline = time.monotonic() + READY_SECONDS
    client = Client()
    try:
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(
                    f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}"
                )
            try:
                if client.get(url).status == 200:
                    return
            except OSError:
                client.close()
            time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError(
        f"{process.name} did not answer {url} within {READY_SECONDS:g} s:\n{process.log_tail()}"
    )


def gunicorn_argv(app: str, *, port: int, workers: int, threads: int) -> list[str]:
    """gunicorn serving ``app`` with the settings `onboarding-kit serve` uses."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        GUNICORN_WORKER_CLASS,
        "--timeout",
        "60",
        "--error-logfile",
        "-",
        app,
    ]


def _stop_group(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is not None:
        return
    try:
        os.killpg(popen.pid, signal.SIGTERM)
        popen.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(timeout=STOP_SECONDS)
    except ProcessLookupError:
        popen.wait(timeout=STOP_SECONDS)


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    # Fields after the command name, which is in parentheses and may contain spaces: utime and
    # stime are fields 14 and 15 of the line, 12 and 13 of this list.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            children.append(int(entry.name))
    return children
