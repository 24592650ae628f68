"""The journeys against an already running stack: ``onboarding-kit demo`` in its own process.

This is how QA points the journeys at a deployment (``--kit-url`` and friends); here the
deployment is the demo, started on free ports in a scratch folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sample_app.serving import free_port
from tests.support.waiting import answers_ok, wait_until

pytestmark = pytest.mark.journey

ROOT = Path(__file__).resolve().parents[2]
KIT = Path(sys.executable).with_name("onboarding-kit")


@pytest.fixture
def running_demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.config.getoption("--kit-url"):
        pytest.skip("this run already targets a running stack")
    kit, emulator, acme = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [
            str(KIT), "demo",
            "--kit-port", str(kit), "--emulator-port", str(emulator), "--acme-port", str(acme),
            "--database-url", f"sqlite:///{tmp_path / 'demo.db'}",
        ],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    urls = {
        "kit": f"http://localhost:{kit}",
        "emulator": f"http://127.0.0.1:{emulator}",
        "acme": f"http://localhost:{acme}",
    }
    try:
        wait_until(
            lambda: answers_ok(urls["acme"] + "/") and answers_ok(urls["kit"] + "/readyz"),
            bool,
            timeout=60,
            what="the demo to answer",
        )
        secrets = json.loads((tmp_path / "instance" / "demo-secrets.json").read_text())
        yield {**urls, "api_key": secrets["api_key"], "output": str(tmp_path / "results")}
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_every_journey_passes_against_a_running_demo(running_demo: dict[str, str]) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            str(ROOT / "tests" / "journeys"), "--ignore", __file__,
            # name=value: an API key may start with "-", which argparse would take for an option.
            f"--kit-url={running_demo['kit']}", f"--emulator-url={running_demo['emulator']}",
            f"--sample-url={running_demo['acme']}", f"--kit-api-key={running_demo['api_key']}",
            f"--output={running_demo['output']}",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "skipped" not in result.stdout
