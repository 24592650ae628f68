"""What the kit adds to Wise's own latency on the OAuth return.

Subject: ``GET /oauth/wise/callback`` through the kit (state compare-and-set, code exchange,
profile read, identity check, encrypted storage, redirect). Baseline: the same two Wise calls
(``POST /oauth/token`` and ``GET /v2/profiles/{id}``) made directly against the same emulator.
Both run on loopback in one process, interleaved.

Target: at most 3.5x the bare Wise calls on loopback. The floor is 1.5x: the subject makes three
HTTP requests (browser to kit, kit to Wise twice) where the baseline makes two. On top come two
durable transactions: the state claim, and the link with its audit event, the session outcome and
the partner-notification outbox. Measured 2.97-3.14x on a 2-core machine. Against the real Wise,
whose calls take 100 ms or more, the kit's share is a few percent.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from backend import db as database
from bench._support import Result, interleaved
from sample_app.demo import build_stack
from sample_app.wise_emulator import DEMO_CLIENT, EmulatorConfig, EmulatorControl

ITERATIONS = 60
TARGET = 3.5


def run() -> list[Result]:
    """Measure the callback against the bare Wise calls, on SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        database.upgrade(url)
        stack = build_stack(
            database_url=url,
            emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
        )
        try:
            return [_measure(stack, "sqlite")]
        finally:
            stack.stop()


def _measure(stack: object, label: str) -> Result:
    kit_url: str = stack.kit_url  # type: ignore[attr-defined]
    wise_url: str = stack.emulator_url  # type: ignore[attr-defined]
    api_key: str = stack.secrets.api_key  # type: ignore[attr-defined]
    acme_url: str = stack.acme_url  # type: ignore[attr-defined]
    wise = EmulatorControl(wise_url)
    redirect_uri = f"{kit_url}/oauth/wise/callback"
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {api_key}"
    kit_calls: list[tuple[dict[str, str], dict[str, str]]] = []
    direct_codes: list[tuple[str, int]] = []

    # Prepare every launch and code up front so only the measured calls are timed.
    for _ in range(ITERATIONS):
        created = api.post(
            f"{kit_url}/api/v1/onboarding-sessions",
            json={
                "customer": {
                    "external_id": "c-ada",
                    "email": "ada@example.com",
                    "date_of_birth": "1990-04-01",
                },
                "return_url": f"{acme_url}/wise/return",
            },
            timeout=10,
        ).json()
        launch = requests.get(created["launch_url"], allow_redirects=False, timeout=10)
        state = parse_qs(urlsplit(launch.headers["Location"]).query)["state"][0]
        granted = wise.authorize(
            DEMO_CLIENT.client_id, redirect_uri, "ada@example.com", state=state
        )
        params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
        kit_calls.append((params, {c.name: c.value or "" for c in launch.cookies}))
        direct = wise.authorize(DEMO_CLIENT.client_id, redirect_uri, "ada@example.com")
        direct_codes.append((direct["code"], int(direct["profile_id"])))

    secret = DEMO_CLIENT.client_secret
    http = requests.Session()

    def through_kit(i: int) -> None:
        params, cookies = kit_calls[i]
        response = http.get(
            f"{kit_url}/oauth/wise/callback",
            params=params,
            cookies=cookies,
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text

    def wise_directly(i: int) -> None:
        code, profile_id = direct_codes[i]
        token = http.post(
            f"{wise_url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": DEMO_CLIENT.client_id,
                "redirect_uri": redirect_uri,
            },
            auth=(DEMO_CLIENT.client_id, secret),
            timeout=10,
        ).json()["access_token"]
        profile = http.get(
            f"{wise_url}/v2/profiles/{profile_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert profile.status_code == 200

    subject_ms, baseline_ms = interleaved(through_kit, wise_directly, ITERATIONS)
    return Result(
        name=f"callback_overhead[{label}]",
        subject="kit callback",
        baseline="bare Wise calls",
        subject_ms=subject_ms,
        baseline_ms=baseline_ms,
        iterations=ITERATIONS,
        target=TARGET,
    )
