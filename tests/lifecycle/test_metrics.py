"""Prometheus metrics: what is counted, who may read it, and that it adds up across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from backend import create_app
from backend.clock import FrozenClock
from sample_app.serving import free_port
from tests.lifecycle.conftest import Hooks
from tests.lifecycle.helpers import (
    Signer,
    instance_config,
    link_customer,
    transfer_body,
)
from tests.support.factories import API_KEY, RETURN_URL, kit_config, session_body
from tests.support.waiting import answers_ok, wait_until

TOKEN = "metrics-token-0123456789abcdefghijklmnopqrstuv"
KIT = Path(sys.executable).with_name("onboarding-kit")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(
    scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = requests.get(
        f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    return samples(answer.text)


def test_metrics_are_not_public(config: dict[str, str]) -> None:
    closed = create_app(config).test_client()
    assert closed.get("/metrics").status_code == 404  # no token set: no endpoint
    client = create_app({**config, "ONBOARDING_METRICS_TOKEN": TOKEN}).test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert (wrong.status_code, wrong.json["error"]) == (401, "invalid_api_key")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert "onboarding_webhooks_pending 0.0" in ok.get_data(as_text=True)


@pytest.fixture
def metered(database_url: str, clock: FrozenClock, signer: Signer) -> Iterator[Hooks]:
    from sample_app.wise_emulator import EmulatorControl
    from tests.lifecycle.conftest import stack_with
    from tests.lifecycle.helpers import LifecycleApi

    running = stack_with(
        database_url,
        clock,
        signer,
        ONBOARDING_METRICS_TOKEN=TOKEN,
        ONBOARDING_RATE_LIMIT_AUTH_FAILURES="1/hour",
    )
    yield Hooks(
        running, signer, LifecycleApi(running.kit_url), EmulatorControl(running.emulator_url)
    )
    running.stop()


def test_the_journey_and_the_queues_are_counted_without_personal_data(
    metered: Hooks, clock: FrozenClock
) -> None:
    hooks = metered
    url = hooks.stack.kit_url
    before = scrape(url)
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    assert hooks.post(transfer_body(31, "processing", "2030-01-01T10:00:00Z")).status_code == 200
    clock.advance(42)
    pending = scrape(url)
    assert value(pending, "onboarding_webhooks_pending") == 1
    assert value(pending, "onboarding_webhook_oldest_pending_age_seconds") == 42
    hooks.settle()
    wrong = {"Authorization": "Bearer wrong-key-0123456789abcdefghijklmnopq"}
    for _ in range(2):  # the second is over the one-per-hour wrong-key limit
        requests.get(f"{url}/api/v1/onboarding-sessions/x", headers=wrong, timeout=10)
    after = scrape(url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("onboarding_sessions_created_total", mode="link") == 1
    assert grew("onboarding_sessions_finished_total", status="linked", reason="none") == 1
    assert grew("onboarding_callback_duration_seconds_count", outcome="linked") == 1
    assert (
        grew(
            "onboarding_wise_calls_total",
            endpoint="POST /oauth/token authorization_code",
            outcome="ok",
        )
        == 1
    )
    assert grew("onboarding_wise_calls_total", endpoint="GET /v2/profiles/{id}", outcome="ok") == 1
    assert grew("onboarding_webhooks_received_total", outcome="stored") == 1
    assert grew("onboarding_webhooks_processed_total", outcome="applied") == 1
    assert grew("onboarding_rate_limited_total", limit="api_key_failures") == 1
    assert value(after, "onboarding_webhooks_pending") == 0
    text = requests.get(
        f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).text
    for personal in (linked.email, linked.external_id, str(linked.profile_id), str(linked.user_id)):
        assert personal not in text, f"{personal!r} in a metric label"


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ONBOARDING_", "PROMETHEUS"))},
        **{k: str(v) for k, v in kit_config(database_url=database_url).items()},
        "ONBOARDING_METRICS_TOKEN": TOKEN,
        "ONBOARDING_PUBLIC_BASE_URL": f"http://localhost:{port}",
    }
    with (tmp_path / "serve.log").open("w") as sink:
        process = subprocess.Popen(
            [str(KIT), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: answers_ok(f"{base}/healthz"), bool, timeout=30)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_counts_add_up_across_gunicorn_workers(served: str) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    for _ in range(12):  # a new connection each: gunicorn spreads them over both workers
        created = requests.post(
            f"{served}/api/v1/onboarding-sessions",
            json=session_body(return_url=RETURN_URL),
            headers=headers,
            timeout=10,
        )
        assert created.status_code == 201
    for _ in range(4):  # whichever worker answers the scrape reports both workers' counts
        assert value(scrape(served), "onboarding_sessions_created_total", mode="link") == 12


def test_the_worker_serves_its_own_metrics(hooks: Hooks, database_url: str, tmp_path: Path) -> None:
    assert hooks.post(transfer_body(32, "processing", "2030-01-01T10:00:00Z")).status_code == 200
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ONBOARDING_", "PROMETHEUS"))},
        **{k: str(v) for k, v in instance_config(hooks.stack, database_url).items()},
        "ONBOARDING_WORKER_METRICS_ADDRESS": f"127.0.0.1:{port}",
    }
    with (tmp_path / "worker.log").open("w") as sink:
        process = subprocess.Popen(
            [str(KIT), "worker", "--poll-seconds", "0.1"],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:

            def processed() -> float:
                try:
                    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                except requests.RequestException:
                    return 0.0
                return value(
                    samples(text), "onboarding_webhooks_processed_total", outcome="applied"
                )

            wait_until(processed, lambda n: n == 1, timeout=30, what="the worker's count")
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            assert value(samples(text), "onboarding_webhooks_pending") == 0
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_the_sample_alert_rules_use_metrics_the_kit_exports(config: dict[str, str]) -> None:
    import re

    import yaml

    root = Path(__file__).resolve().parents[2]
    rules = yaml.safe_load((root / "docs" / "prometheus-alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in expressions for name in re.findall(r"\b(onboarding_[a-z_]+)", expr)}
    client = create_app({**config, "ONBOARDING_METRICS_TOKEN": TOKEN}).test_client()
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(
        as_text=True
    )
    exported = set(re.findall(r"^# TYPE (onboarding_[a-z_]+) ", text, re.M))
    suffixes = ("_bucket", "_count", "_sum", "_total")
    missing = {
        name
        for name in used
        if name not in exported and not any(name.removesuffix(s) in exported for s in suffixes)
    }
    assert missing == set(), f"alert rules use metrics the kit does not export: {missing}"
