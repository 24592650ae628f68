"""``onboarding-kit demo`` in its own process, on free ports, in a scratch folder.

This is the demo exactly as a new user starts it (same command, same ``instance/`` files), so
tests of what the README promises about it run against the real thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sample_app.serving import free_port
from tests.support.waiting import answers_ok, wait_until

KIT = Path(sys.executable).with_name("onboarding-kit")
# The ports the README's examples are written for; tests map them to the free ports in use.
README_PORTS = {"kit": 5000, "emulator": 5001, "acme": 5002}


@dataclass(frozen=True)
class RunningDemo:
    """A demo started by :func:`running_demo`: its URLs, ports, API key and printed output."""

    folder: Path
    ports: dict[str, int]
    api_key: str
    log_path: Path

    @property
    def urls(self) -> dict[str, str]:
        """Base URLs as the demo serves them (the emulator on 127.0.0.1, the others localhost)."""
        return {
            "kit": f"http://localhost:{self.ports['kit']}",
            "emulator": f"http://127.0.0.1:{self.ports['emulator']}",
            "acme": f"http://localhost:{self.ports['acme']}",
        }

    def output(self) -> str:
        """Everything the demo has printed so far."""
        return self.log_path.read_text()

    def with_ports(self, text: str) -> str:
        """``text`` with the README's demo ports replaced by this demo's ports."""
        for name, port in README_PORTS.items():
            for host in ("localhost", "127.0.0.1"):
                text = text.replace(f"{host}:{port}", f"{host}:{self.ports[name]}")
        return text


def demo_command(folder: Path, ports: dict[str, int]) -> list[str]:
    """The command line that starts the demo on ``ports`` with a database in ``folder``."""
    return [
        str(KIT), "demo",
        "--kit-port", str(ports["kit"]), "--emulator-port", str(ports["emulator"]),
        "--acme-port", str(ports["acme"]),
        "--database-url", f"sqlite:///{folder / 'demo.db'}",
    ]  # fmt: skip


def clean_environment() -> dict[str, str]:
    """This process's environment without ONBOARDING_* settings, as on a new user's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}


@contextmanager
def running_demo(
    folder: Path, environment: Mapping[str, str] | None = None
) -> Iterator[RunningDemo]:
    """Start the demo in ``folder``, wait until all three apps answer, stop it afterwards.

    ``environment`` adds variables to the new user's shell, e.g. a setting the demo leaves unset.
    """
    ports = {name: free_port() for name in README_PORTS}
    log_path = folder / "demo.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            demo_command(folder, ports),
            cwd=folder,
            env={**clean_environment(), **(environment or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            demo = RunningDemo(folder, ports, "", log_path)

            def ready() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"the demo exited early:\n{demo.output()}")
                return (
                    "Press Ctrl+C" in demo.output()
                    and answers_ok(demo.urls["acme"] + "/")
                    and answers_ok(demo.urls["kit"] + "/readyz")
                )

            wait_until(ready, bool, timeout=90, what="the demo to answer")
            secrets = json.loads((folder / "instance" / "demo-secrets.json").read_text())
            yield replace(demo, api_key=secrets["api_key"])
        finally:
            process.terminate()
            process.wait(timeout=30)
