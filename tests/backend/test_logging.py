"""Structured logs: JSON lines from a served kit, request ids and session ids on each line."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sample_app.demo import Stack
from sample_app.serving import free_port
from tests.support.factories import API_KEY, RETURN_URL
from tests.support.waiting import answers_ok, wait_until

KIT = Path(sys.executable).with_name("onboarding-kit")


@pytest.fixture
def served_json(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")},
        "ONBOARDING_ENV": "development",
        "ONBOARDING_LOG_FORMAT": "json",
        "ONBOARDING_DATABASE_URL": database_url,
        "ONBOARDING_API_KEYS": API_KEY,
        "ONBOARDING_RETURN_URLS": RETURN_URL,
    }
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(KIT), "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: answers_ok(f"{base}/healthz"), bool, timeout=30)
            yield base, log
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_json_format_writes_one_object_per_line(served_json: tuple[str, Path]) -> None:
    base, log = served_json
    headers = {"Authorization": f"Bearer {API_KEY}", "X-Request-Id": "req-7f3a.partner:42"}
    answer = requests.get(f"{base}/api/v1/onboarding-sessions/missing", headers=headers, timeout=10)
    assert answer.status_code == 404
    assert answer.headers["X-Request-Id"] == "req-7f3a.partner:42"
    odd = requests.get(
        f"{base}/healthz", headers={"X-Request-Id": "has spaces\tand tabs"}, timeout=10
    )
    generated = odd.headers["X-Request-Id"]
    assert len(generated) == 32
    assert generated != "has spaces\tand tabs"
    wait_until(lambda: log.read_text().count('"backend.request"'), lambda n: n >= 3)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, gunicorn's included
    gunicorn = [r for r in records if r["logger"] == "gunicorn.error"]
    assert gunicorn, "gunicorn's own lines are JSON too"
    request = next(r for r in records if r.get("request_id") == "req-7f3a.partner:42")
    assert request["logger"] == "backend.request"
    assert request["level"] == "INFO"
    assert request["method"] == "GET"
    assert request["route"] == "/api/v1/onboarding-sessions/<session_id>"
    assert request["status"] == 404
    assert isinstance(request["duration_ms"], float)
    assert {"time", "message", "session_id"} <= request.keys()
    assert any(r.get("request_id") == generated for r in records)


def test_text_is_the_default_and_names_the_request(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="backend"):
        answer = requests.get(
            f"{stack.kit_url}/healthz", headers={"X-Request-Id": "r-1"}, timeout=10
        )
    assert answer.headers["X-Request-Id"] == "r-1"
    record = next(r for r in caplog.records if r.name == "backend.request")
    assert record.request_id == "r-1"  # type: ignore[attr-defined]


def test_session_ids_appear_on_the_requests_that_know_them(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.kit import KitApi

    kit = KitApi(stack.kit_url)
    with caplog.at_level(logging.INFO, logger="backend"):
        created = kit.create_session()
        requests.get(created["launch_url"], allow_redirects=False, timeout=10)
    lines = [r for r in caplog.records if r.name == "backend.request"]
    assert [getattr(r, "session_id", None) for r in lines] == [created["id"], created["id"]]
