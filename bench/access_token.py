"""The cost of token brokering, as ratios measured side by side in one run.

1. ``access_token_fresh``: ``POST .../wise-link/access-token`` while the token is fresh (read,
   decrypt, answer) against ``GET .../wise-link`` (the same authenticated read without a token).
   Target: at most 2x.
2. ``refresh_under_contention``: 20 callers arriving together for one due token (one refresh at
   Wise, 19 callers waiting on the lease) against 20 callers arriving together for a fresh token,
   per-caller medians. Both crowds share the same server, so the ratio isolates what the
   single-flight refresh adds. Target: at most 3x.

Both run on loopback against the Wise emulator, on SQLite, interleaved round by round so drift
hits both alike. Run with ``python -m bench.access_token``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from backend import db as database
from backend.clock import FrozenClock
from bench._support import Result, interleaved
from sample_app.demo import Stack, build_stack
from sample_app.wise_emulator import DEMO_CLIENT, EmulatorConfig, EmulatorControl

FRESH_ITERATIONS = 200
CONTENTION_ROUNDS = 15
CALLERS = 20
TOKEN_SECONDS = 43199
CUSTOMER = "c-ada"


def run() -> list[Result]:
    """Link one customer on a fresh stack, then take both measurements."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        database.upgrade(url)
        clock = FrozenClock()
        stack = build_stack(
            database_url=url,
            kit_overrides={"CLOCK": clock},
            emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
        )
        try:
            api = _partner(stack)
            _link(stack, api)
            return [_fresh(stack, api), _contention(stack, api, clock)]
        finally:
            stack.stop()


def _fresh(stack: Stack, api: requests.Session) -> Result:
    token_url = f"{stack.kit_url}/api/v1/customers/{CUSTOMER}/wise-link/access-token"
    link_url = f"{stack.kit_url}/api/v1/customers/{CUSTOMER}/wise-link"

    def subject(_: int) -> None:
        assert api.post(token_url, timeout=10).status_code == 200

    def baseline(_: int) -> None:
        assert api.get(link_url, timeout=10).status_code == 200

    subject_ms, baseline_ms = interleaved(subject, baseline, FRESH_ITERATIONS)
    return Result(
        "access_token_fresh",
        "access token (fresh)",
        "link read",
        subject_ms,
        baseline_ms,
        FRESH_ITERATIONS,
        2.0,
    )


def _contention(stack: Stack, api: requests.Session, clock: FrozenClock) -> Result:
    token_url = f"{stack.kit_url}/api/v1/customers/{CUSTOMER}/wise-link/access-token"
    headers = dict(api.headers)
    pool = ThreadPoolExecutor(max_workers=CALLERS)
    medians: dict[str, list[float]] = {"due": [], "fresh": []}

    def crowd(kind: str) -> Callable[[int], None]:
        def run_round(_: int) -> None:
            if kind == "due":
                clock.advance(TOKEN_SECONDS)
            barrier = threading.Barrier(CALLERS)

            def call(_: int) -> float:
                barrier.wait()
                started = time.perf_counter()
                response = requests.post(token_url, headers=headers, timeout=30)
                assert response.status_code == 200
                return (time.perf_counter() - started) * 1000

            medians[kind].append(statistics.median(pool.map(call, range(CALLERS))))

        return run_round

    before = _refreshes(stack)
    interleaved(crowd("due"), crowd("fresh"), CONTENTION_ROUNDS)
    pool.shutdown()
    # One refresh per due round: no crowd ever refreshed twice.
    assert _refreshes(stack) - before == CONTENTION_ROUNDS
    return Result(
        "refresh_under_contention",
        f"{CALLERS} callers, one due token (per-caller median)",
        f"{CALLERS} callers, fresh token",
        statistics.median(medians["due"]),
        statistics.median(medians["fresh"]),
        CONTENTION_ROUNDS,
        3.0,
    )


def _partner(stack: Stack) -> requests.Session:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {stack.secrets.api_key}"
    return api


def _link(stack: Stack, api: requests.Session) -> None:
    created = api.post(
        f"{stack.kit_url}/api/v1/onboarding-sessions",
        json={
            "customer": {
                "external_id": CUSTOMER,
                "email": "ada@example.com",
                "date_of_birth": "1990-04-01",
                "type": "personal",
            },
            "return_url": f"{stack.acme_url}/wise/return",
        },
        timeout=10,
    ).json()
    launched = requests.get(created["launch_url"], allow_redirects=False, timeout=10)
    state = parse_qs(urlsplit(launched.headers["Location"]).query)["state"][0]
    granted = EmulatorControl(stack.emulator_url).authorize(
        DEMO_CLIENT.client_id,
        f"{stack.kit_url}/oauth/wise/callback",
        "ada@example.com",
        state=state,
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
    back = requests.get(
        f"{stack.kit_url}/oauth/wise/callback",
        params=params,
        cookies={c.name: c.value or "" for c in launched.cookies},
        allow_redirects=False,
        timeout=10,
    )
    assert "status=linked" in back.headers["Location"]


def _refreshes(stack: Stack) -> int:
    counters = EmulatorControl(stack.emulator_url).counters()
    return int(counters["token_requests"].get("refresh_token", 0))


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["access_token"]))
