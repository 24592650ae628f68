"""The README's shell examples that talk to the demo run verbatim against a running demo.

Every ```sh block of README.md that calls ``curl`` on one of the demo's URLs is run with bash,
exactly as written except for the ports (the demo here runs on free ones). Each ``# <status>
<json>`` comment under a command is the answer the README promises: the status must match, and
so must every key and value it shows (``"..."`` stands for any value, ``"prefix..."`` for a value
starting with the prefix, and a trailing ``...`` for more keys).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.demo_process import (
    README_PORTS,
    RunningDemo,
    clean_environment,
    demo_command,
    running_demo,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DEMO_HOSTS = tuple(
    f"{host}:{port}" for port in README_PORTS.values() for host in ("localhost", "127.0.0.1")
)
PROMISE = re.compile(r"^# (\d{3}) (\{.*\})\s*$")
# Written after each curl's body so the answers can be told apart and their statuses read.
STATUS_MARK = "__status__"


@dataclass(frozen=True)
class Example:
    """One ```sh block of the README and the answers it promises, in order."""

    line: int
    script: str
    promises: list[tuple[int, str]]


def demo_examples(text: str) -> list[Example]:
    """The README's sh blocks that run curl against one of the demo's URLs."""
    examples = []
    for match in re.finditer(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        script = match.group(1)
        if "curl" not in script or not any(host in script for host in DEMO_HOSTS):
            continue
        promises = [
            (int(found.group(1)), found.group(2))
            for found in map(PROMISE.match, script.splitlines())
            if found
        ]
        examples.append(Example(text[: match.start()].count("\n") + 1, script, promises))
    return examples


def documented(shape: str) -> tuple[dict[str, Any], bool]:
    """The README's JSON sketch as a dict, and whether it says more keys may follow."""
    more = bool(re.search(r",\s*\.\.\.\s*\}$", shape))
    return json.loads(re.sub(r",\s*\.\.\.\s*\}$", "}", shape)), more


def check_answer(body: str, status: int, promise: tuple[int, str], demo: RunningDemo) -> None:
    """Fail unless ``body``/``status`` is the answer ``promise`` describes."""
    expected_status, shape = promise
    assert status == expected_status, (promise, status, body)
    expected, more = documented(demo.with_ports(shape))
    answer = json.loads(body)
    if not more:
        assert set(answer) == set(expected), (promise, body)
    for key, value in expected.items():
        assert key in answer, (key, body)
        if value == "...":
            continue
        if isinstance(value, str) and value.endswith("..."):
            assert str(answer[key]).startswith(value[:-3]), (key, value, body)
        else:
            assert answer[key] == value, (key, value, body)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    with running_demo(tmp_path_factory.mktemp("readme-demo")) as started:
        yield started


def test_the_readme_has_demo_examples_with_promised_answers() -> None:
    examples = demo_examples(README.read_text())
    # The partner API example and the Hosted KYC one, at least; each promises its answers.
    assert len(examples) >= 2
    assert all(example.promises for example in examples)
    assert any("/api/v1/onboarding-sessions" in example.script for example in examples)


@pytest.mark.parametrize(
    "example", demo_examples(README.read_text()), ids=lambda example: f"README.md:{example.line}"
)
def test_readme_example_runs_against_the_demo(example: Example, demo: RunningDemo) -> None:
    # curl writes a marker and the status after each body, so each answer can be checked.
    wrapper = f'curl() {{ command curl -w "\\n{STATUS_MARK} %{{http_code}}\\n" "$@"; }}\n'
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", wrapper + demo.with_ports(example.script)],
        env={**clean_environment(), "KEY": demo.api_key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = re.findall(rf"(.*?)\n{STATUS_MARK} (\d{{3}})\n", result.stdout, flags=re.S)
    assert len(answers) == len(example.promises), result.stdout
    for (body, status), promise in zip(answers, example.promises, strict=True):
        check_answer(body.strip(), int(status), promise, demo)


def test_the_demo_prints_the_key_and_the_return_urls_the_readme_relies_on(
    demo: RunningDemo,
) -> None:
    printed = demo.output()
    assert f"export KEY={demo.api_key}" in printed or f"export KEY='{demo.api_key}'" in printed
    acme = demo.urls["acme"]
    assert f"{acme}/wise/return" in printed
    # The README's example uses Acme's return page; it must be one the demo allows.
    assert "http://localhost:5002/wise/return" in README.read_text()


def test_a_second_demo_names_the_busy_port_and_how_to_move_it(
    demo: RunningDemo, tmp_path: Path
) -> None:
    # `make demo` run twice: the second one must say what to do in one line, not a traceback.
    result = subprocess.run(
        demo_command(tmp_path, demo.ports),
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    message = (result.stdout + result.stderr).strip()
    assert "Traceback" not in message
    assert len(message.splitlines()) == 1, message
    assert f"port {demo.ports['kit']} is in use" in message
    assert "--kit-port" in message
    assert "DEMO_ARGS" in message
    # Nothing was created for the refused demo.
    assert not (tmp_path / "demo.db").exists()
