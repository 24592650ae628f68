"""The journeys against an already running stack: ``onboarding-kit demo`` in its own process.

This is how QA points the journeys at a deployment (``--kit-url`` and friends); here the
deployment is the demo, started on free ports in a scratch folder.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.demo_process import running_demo as start_demo

pytestmark = pytest.mark.journey

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def running_demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.config.getoption("--kit-url"):
        pytest.skip("this run already targets a running stack")
    with start_demo(tmp_path) as demo:
        yield {**demo.urls, "api_key": demo.api_key, "output": str(tmp_path / "results")}


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
