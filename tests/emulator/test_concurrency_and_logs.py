"""Many concurrent requests against a served emulator, and what its logs may contain."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import requests
from flask.testing import FlaskClient

from sample_app.wise_emulator import EmulatorControl

from .conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, post_token, query_of


def test_hundred_concurrent_token_calls_are_all_served_and_counted(
    live: str, control: EmulatorControl
) -> None:
    def call(_: int) -> int:
        return requests.post(
            f"{live}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=20,
        ).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(call, range(100)))
    assert statuses == [200] * 100
    counters = control.counters()
    assert counters["token_requests"]["client_credentials"] == 100
    assert counters["tokens_issued"]["client_credentials"] == 100


def test_concurrent_refreshes_leave_exactly_one_live_access_token(
    live: str, control: EmulatorControl
) -> None:
    issued = control.authorize(CLIENT_ID, REDIRECT_URI, "ada@example.com")
    auth = (CLIENT_ID, CLIENT_SECRET)
    tokens = requests.post(
        f"{live}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": issued["code"],
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
        },
        auth=auth,
        timeout=10,
    ).json()

    def refresh(_: int) -> str:
        response = requests.post(
            f"{live}/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=auth,
            timeout=20,
        )
        assert response.status_code == 200
        return str(response.json()["access_token"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        access_tokens = list(pool.map(refresh, range(20)))
    live_ones = [
        t
        for t in [tokens["access_token"], *access_tokens]
        if requests.get(
            f"{live}/v1/me", headers={"Authorization": f"Bearer {t}"}, timeout=10
        ).status_code
        == 200
    ]
    assert len(live_ones) == 1


def test_logs_hold_paths_but_no_codes_tokens_or_query_strings(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    query = urlencode(
        {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": "secret-state"}
    )
    client.get(f"/oauth/authorize/?{query}")
    client.post(
        "/oauth/authorize/login", data={"email": "ada@example.com", "password": "wise-demo"}
    )
    client.post("/oauth/authorize/2fa", data={"code": "111111"})
    location = client.post("/oauth/authorize/consent", data={"decision": "allow"}).headers[
        "Location"
    ]
    code = query_of(location)["code"][0]
    tokens = post_token(
        client,
        grant_type="authorization_code",
        code=code,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
    ).json
    client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})  # type: ignore[index]
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /oauth/authorize/ 302" in text
    assert "POST /oauth/token 200" in text
    for secret in (
        code,
        "secret-state",
        tokens["access_token"],
        tokens["refresh_token"],
        "wise-demo",
    ):  # type: ignore[index]
        assert secret not in text
    assert "?" not in text
