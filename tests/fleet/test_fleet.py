"""The fleet test: the kit as a partner runs it, with processes killed and the database frozen.

nginx terminates TLS in front of three kit instances; two workers; PostgreSQL (through a proxy
that can stop answering); Redis for the rate limits; the Wise emulator. Run it alone with
``make test-fleet``. Figures (acknowledgement latency, durations) go to
``test-results/fleet.json``; the assertions are on correctness counts only.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Response

from backend import db as database
from sample_app.wise_emulator import DEMO_CLIENT
from tests.fleet.fleet import (
    API_LIMIT,
    LIMITED_API_KEY,
    RETURN_URL,
    Fleet,
    nginx_binary,
)
from tests.journeys.pages import WiseAuthorize
from tests.lifecycle.helpers import query, transfer_body
from tests.support.factories import session_body
from tests.support.postgres import postgres_database
from tests.support.waiting import wait_until

pytestmark = pytest.mark.fleet

EVENTS = 1000
COPIES = 3
SENDERS = 16
STATES = 20
CALLBACKS_PER_STATE = 50
FREEZE_SECONDS = 10.0
REPORT = Path("test-results/fleet.json")
figures: dict[str, Any] = {}


def redis_url_or_skip() -> str:
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"the fleet test needs Redis at {url}: {exc}")
    return url


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    if nginx_binary() is None:
        pytest.skip("the fleet test needs nginx (apt-get install nginx-light); .ci/run installs it")
    redis_url = redis_url_or_skip()
    with postgres_database() as postgres_url:
        database.upgrade(postgres_url)
        running = Fleet(tmp_path_factory.mktemp("fleet"), postgres_url, redis_url)
        try:
            running.start()
            yield running
        except Exception:
            print(running.logs())  # shown with the failure
            raise
        finally:
            running.close()
            REPORT.parent.mkdir(exist_ok=True)
            REPORT.write_text(json.dumps(figures, indent=2) + "\n")


def count(fleet: Fleet, sql: str) -> int:
    return len(query(fleet.postgres_url, sql))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_a_journey_through_tls_launches_on_one_instance_and_returns_on_another(
    fleet: Fleet, browser: Browser
) -> None:
    http = fleet.http()
    answer = http.post(
        f"{fleet.url}/api/v1/onboarding-sessions",
        json=session_body(return_url=RETURN_URL),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["launch_url"].startswith(f"{fleet.url}/onboarding/launch/")
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.route(
        f"{RETURN_URL}**",
        lambda route: route.fulfill(status=200, content_type="text/plain", body="back in the app"),
    )
    seen: dict[str, Response] = {}
    page.on(
        "response",
        lambda r: (
            seen.setdefault("launch" if "/onboarding/launch/" in r.url else "callback", r)
            if r.url.startswith(fleet.url)
            else None
        ),
    )
    page.goto(created["launch_url"])
    cookies = {c["name"]: c for c in context.cookies(fleet.url)}
    binding = cookies["__Host-wise_onboarding"]
    assert (binding["secure"], binding["httpOnly"], binding["sameSite"]) == (True, True, "Lax")
    assert binding["path"] == "/"
    assert "domain" in binding
    WiseAuthorize(page, fleet.emulator_url).log_in("ada@example.com").two_factor().allow()
    page.wait_for_url(re.compile(re.escape(RETURN_URL) + r"\?.*status=linked"))
    launch, callback = seen["launch"], seen["callback"]
    assert launch.status == 303
    assert callback.status == 303
    launched_on = launch.header_value("x-upstream")
    returned_on = callback.header_value("x-upstream")
    assert launched_on == f"127.0.0.1:{fleet.kit_ports[0]}"
    assert returned_on == f"127.0.0.1:{fleet.kit_ports[1]}"
    assert launch.header_value("strict-transport-security") == "max-age=31536000; includeSubDomains"
    assert "__Host-wise_onboarding" not in {c["name"] for c in context.cookies(fleet.url)}
    session = http.get(f"{fleet.url}/api/v1/onboarding-sessions/{created['id']}", timeout=30).json()
    assert session["status"] == "linked"
    context.close()
    figures["journey"] = {"launched_on": launched_on, "returned_on": returned_on}


def test_a_webhook_flood_with_killed_processes_applies_each_event_once(fleet: Fleet) -> None:
    bodies = [
        transfer_body(500_000 + n, "processing", "2030-01-01T10:00:00Z") for n in range(EVENTS)
    ]
    deliveries = [(body, str(uuid.uuid4())) for body in bodies for _ in range(COPIES)]
    random.Random(7).shuffle(deliveries)
    latencies: list[float] = []
    retries = {"count": 0}
    progress = {"sent": 0}
    lock = threading.Lock()
    local = threading.local()

    def send(delivery: tuple[bytes, str]) -> None:
        body, delivery_id = delivery
        if not hasattr(local, "http"):
            local.http = fleet.http()
        headers = fleet.signer.headers(body, delivery_id)
        deadline = time.monotonic() + 120
        while True:
            started = time.monotonic()
            try:
                answer = local.http.post(
                    f"{fleet.url}/webhooks/wise", data=body, headers=headers, timeout=10
                )
                status = answer.status_code
            except requests.RequestException:
                status = 0
            took = time.monotonic() - started
            if status == 200:
                with lock:
                    latencies.append(took)
                    progress["sent"] += 1
                return
            # Wise retries a delivery that was not acknowledged (an instance died under it).
            assert status in (0, 502, 503, 504), status
            assert time.monotonic() < deadline, "a delivery was never acknowledged"
            with lock:
                retries["count"] += 1
            time.sleep(0.05)

    total = len(deliveries)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        futures = [pool.submit(send, d) for d in deliveries]
        wait_until(lambda: progress["sent"], lambda n: n >= total // 3, timeout=300)
        fleet.kits[1].kill()
        fleet.workers[0].kill()
        wait_until(lambda: progress["sent"], lambda n: n >= 2 * total // 3, timeout=300)
        fleet.restart(fleet.kits[1])
        fleet.restart(fleet.workers[0])
        for future in futures:
            future.result()
    sent_in = time.monotonic() - started
    wait_until(
        lambda: count(fleet, "SELECT 1 FROM wise_webhook_event WHERE status = 'pending'"),
        lambda pending: pending == 0,
        timeout=180,
        what="the workers to drain the queue",
    )
    drained_in = time.monotonic() - started
    statuses = query(
        fleet.postgres_url,
        "SELECT status, outcome, COUNT(*) AS n FROM wise_webhook_event "
        "WHERE event_type = 'transfers#state-change' GROUP BY status, outcome",
    )
    assert statuses == [{"status": "done", "outcome": "applied", "n": EVENTS}]
    assert count(fleet, "SELECT 1 FROM wise_transfer_status WHERE transfer_id >= 500000") == EVENTS
    assert count(fleet, "SELECT 1 FROM wise_webhook_event WHERE status = 'dead'") == 0
    figures["webhook_flood"] = {
        "events": EVENTS,
        "deliveries": total,
        "senders": SENDERS,
        "killed": ["kit instance 2 (SIGKILL)", "worker 1 (SIGKILL)"],
        "resent_after_failures": retries["count"],
        "ack_seconds": {
            "p50": round(statistics.median(latencies), 4),
            "p99": round(percentile(latencies, 0.99), 4),
            "max": round(max(latencies), 4),
        },
        "all_acknowledged_after_seconds": round(sent_in, 1),
        "all_applied_after_seconds": round(drained_in, 1),
    }


def test_a_callback_storm_exchanges_each_code_once(fleet: Fleet) -> None:
    http = fleet.http()
    wise = fleet.wise
    before = int(wise.counters()["token_requests"].get("authorization_code", 0))
    callback_url = f"{fleet.url}/oauth/wise/callback"
    launched = []
    for n in range(STATES):
        created = http.post(
            f"{fleet.url}/api/v1/onboarding-sessions",
            json=session_body(customer__external_id=f"storm-{n}", return_url=RETURN_URL),
            timeout=30,
        ).json()
        launch = requests.get(
            created["launch_url"], allow_redirects=False, verify=str(fleet.cert), timeout=30
        )
        assert launch.status_code == 303, launch.text
        state = parse_qs(urlsplit(launch.headers["Location"]).query)["state"][0]
        granted = wise.authorize(
            DEMO_CLIENT.client_id, callback_url, "ada@example.com", state=state
        )
        params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
        launched.append((created["id"], params, dict(launch.cookies)))

    # Straight to the three instances, round robin: the compare-and-set is what is under test.
    def callback(job: tuple[int, dict[str, str], dict[str, str]]) -> int:
        index, params, cookies = job
        port = fleet.kit_ports[index % len(fleet.kit_ports)]
        return requests.get(
            f"http://127.0.0.1:{port}/oauth/wise/callback",
            params=params,
            cookies=cookies,
            allow_redirects=False,
            timeout=60,
        ).status_code

    jobs = [
        (n * CALLBACKS_PER_STATE + k, params, cookies)
        for n, (_, params, cookies) in enumerate(launched)
        for k in range(CALLBACKS_PER_STATE)
    ]
    random.Random(11).shuffle(jobs)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CALLBACKS_PER_STATE) as pool:
        statuses = list(pool.map(callback, jobs))
    took = time.monotonic() - started
    assert [s for s in statuses if s >= 500] == []
    exchanged = int(wise.counters()["token_requests"].get("authorization_code", 0)) - before
    assert exchanged == STATES
    for session_id, _, _ in launched:
        read = http.get(f"{fleet.url}/api/v1/onboarding-sessions/{session_id}", timeout=30)
        assert read.json()["status"] == "linked"
    figures["callback_storm"] = {
        "states": STATES,
        "callbacks": len(jobs),
        "code_exchanges": exchanged,
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "seconds": round(took, 1),
    }


def test_a_rate_limit_holds_across_the_instances(fleet: Fleet) -> None:
    """One partner key, three times its allowance, spread over the three instances."""

    def ask(n: int) -> int:
        port = fleet.kit_ports[n % len(fleet.kit_ports)]
        return requests.get(
            f"http://127.0.0.1:{port}/api/v1/onboarding-sessions/{uuid.uuid4()}",
            headers={"Authorization": f"Bearer {LIMITED_API_KEY}"},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(ask, range(3 * API_LIMIT)))
    accepted, refused = statuses.count(404), statuses.count(429)
    assert accepted + refused == len(statuses), set(statuses)
    # Exactly the allowance, or up to one more window's worth if the run crossed a minute.
    assert API_LIMIT <= accepted <= 2 * API_LIMIT
    figures["rate_limit"] = {
        "limit_per_minute": API_LIMIT,
        "accepted": accepted,
        "refused": refused,
    }


def test_a_database_that_stops_answering_costs_a_503_and_nothing_else(fleet: Fleet) -> None:
    assert fleet.proxy is not None
    bodies = [transfer_body(900_000 + n, "processing", "2030-01-01T10:00:00Z") for n in range(6)]
    http = fleet.http()
    applied = (
        "SELECT 1 FROM wise_webhook_event WHERE status = 'done' "
        "AND outcome = 'applied' AND event_type = 'transfers#state-change'"
    )
    applied_before = count(fleet, applied)

    def deliver(body: bytes) -> tuple[int, float]:
        started = time.monotonic()
        status = http.post(
            f"{fleet.url}/webhooks/wise", data=body, headers=fleet.signer.headers(body), timeout=30
        ).status_code
        return status, time.monotonic() - started

    fleet.proxy.freeze()
    frozen_at = time.monotonic()
    refused: list[tuple[int, float]] = []
    health: list[float] = []
    try:
        # For the whole outage Wise keeps delivering and the load balancer keeps probing.
        while time.monotonic() - frozen_at < FREEZE_SECONDS:
            refused.append(deliver(bodies[len(refused) % len(bodies)]))
            for port in fleet.kit_ports:
                started = time.monotonic()
                probe = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
                assert probe.status_code == 200
                health.append(time.monotonic() - started)
    finally:
        fleet.proxy.thaw()
    assert {status for status, _ in refused} == {503}
    assert max(took for _, took in refused) < 8.0, refused
    assert max(health) < 1.0, health
    # Nothing was half-written: Wise's retries now store each delivery once, and it is applied.
    for body in bodies:
        status, _ = deliver(body)
        assert status == 200
    wait_until(
        lambda: count(fleet, applied),
        lambda done: done == applied_before + len(bodies),
        timeout=120,
        what="the workers to apply what came in after the outage",
    )
    assert count(fleet, "SELECT 1 FROM wise_transfer_status WHERE transfer_id >= 900000") == 6
    assert all(process.popen and process.popen.poll() is None for process in fleet.workers)
    figures["frozen_database"] = {
        "frozen_seconds": FREEZE_SECONDS,
        "refused_deliveries": len(refused),
        "slowest_503_seconds": round(max(took for _, took in refused), 2),
        "slowest_healthz_seconds": round(max(health), 3),
    }
