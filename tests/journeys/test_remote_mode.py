"""A journey run pointed at a running stack with ``--kit-url`` and friends uses that stack.

This is how QA points the journeys at a deployment. Every journey of ``make test`` already runs
against a running stack (``onboarding-kit demo`` in its own process, see ``conftest.py``); this
test proves the command-line path to it: a separate pytest run given only the URLs, the API key
and the metrics token passes a journey, and the link it made is in that stack, not in a stack of
its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.journeys.conftest import JourneyStack

pytestmark = pytest.mark.journey

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = "tests/journeys/test_core_journeys.py::test_existing_wise_user_links_their_account"


def test_a_journey_passes_against_the_stack_named_on_the_command_line(
    journey_stack: JourneyStack, tmp_path: Path
) -> None:
    kit = journey_stack.kit
    assert kit.get_link("c-ada")["status"] == "not_linked", "fresh_start unlinked Ada"
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", JOURNEY,
            # name=value: an API key may start with "-", which argparse would take for an option.
            f"--kit-url={journey_stack.kit_url}", f"--emulator-url={journey_stack.emulator_url}",
            f"--sample-url={journey_stack.acme_url}", f"--kit-api-key={journey_stack.api_key}",
            f"--kit-metrics-token={journey_stack.metrics_token or ''}",
            f"--output={tmp_path / 'results'}",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout, result.stdout[-4000:]
    assert "skipped" not in result.stdout
    # The journey linked Ada in the stack it was given, not in one it started for itself.
    assert kit.get_link("c-ada")["status"] == "linked"
    assert (
        kit.get_link("c-ada")["profile_id"]
        == journey_stack.wise.get_user("ada@example.com")["profiles"][0]["id"]
    )
