"""The control API through EmulatorControl over loopback HTTP, and the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sample_app.serving import free_port
from sample_app.wise_emulator import EmulatorControl
from sample_app.wise_emulator.client import EmulatorControlError
from tests.support.waiting import wait_until

from .conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, query_of


def exchange(live: str, code: str) -> requests.Response:
    """Redeem a code over HTTP."""
    return requests.post(
        f"{live}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )


def test_create_and_get_user(control: EmulatorControl) -> None:
    created = control.create_user(
        "kat@example.com",
        first_name="Katherine",
        last_name="Johnson",
        date_of_birth="1918-08-26",
        profiles=["PERSONAL", {"type": "BUSINESS", "business_name": "Orbits Ltd"}],
    )
    assert created["email"] == "kat@example.com"
    found = control.get_user("kat@example.com")
    assert found is not None
    assert [p["type"] for p in found["profiles"]] == ["PERSONAL", "BUSINESS"]
    assert found["profiles"][0]["dateOfBirth"] == "1918-08-26"
    assert found["profiles"][1]["businessName"] == "Orbits Ltd"
    assert control.get_user(found["id"])["email"] == "kat@example.com"  # type: ignore[index]
    assert control.get_user("missing@example.com") is None
    with pytest.raises(EmulatorControlError) as refused:
        control.create_user("kat@example.com")
    assert refused.value.status == 409


def test_authorize_shortcut_and_counters(control: EmulatorControl, live: str) -> None:
    issued = control.authorize(CLIENT_ID, REDIRECT_URI, "ada@example.com", state="xyz")
    query = query_of(issued["redirect_url"])
    assert query["code"] == [issued["code"]]
    assert query["state"] == ["xyz"]
    assert query["profileId"] == [str(issued["profile_id"])]
    assert exchange(live, issued["code"]).status_code == 200
    counters = control.counters()
    assert counters["token_requests"]["authorization_code"] == 1
    assert counters["requests"]["POST /oauth/token"] == 1
    assert counters["users_created"] == 4  # the seeded demo users


def test_authorize_shortcut_refuses_unregistered_redirect(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError) as refused:
        control.authorize(CLIENT_ID, "http://elsewhere.example/cb", "ada@example.com")
    assert refused.value.status == 400


def test_fault_fails_the_next_calls_then_clears(control: EmulatorControl, live: str) -> None:
    control.add_fault("POST", "/oauth/token", status=503, count=2, grant_type="client_credentials")
    statuses = [
        requests.post(
            f"{live}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=10,
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    control.add_fault("GET", "/v2/profiles*", status=500, count=None)
    assert requests.get(f"{live}/v2/profiles/1", timeout=10).status_code == 500
    control.clear_faults()
    assert requests.get(f"{live}/v2/profiles/1", timeout=10).status_code == 401


def test_fault_with_only_a_delay(control: EmulatorControl, live: str) -> None:
    control.add_fault("GET", "/v1/me", status=None, delay_seconds=0.3)
    started = time.monotonic()
    response = requests.get(f"{live}/v1/me", timeout=10)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 401  # the request went on after the delay


def test_a_lost_answer_fault_does_the_work_then_answers_the_fault(
    control: EmulatorControl, live: str
) -> None:
    token = requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    ).json()["access_token"]
    control.add_fault("POST", "/v1/user/signup/registration_code", status=504, lose_answer=True)
    signed_up = requests.post(
        f"{live}/v1/user/signup/registration_code",
        json={"email": "lost@example.com", "registrationCode": "l" * 40},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert signed_up.status_code == 504
    assert signed_up.json()["error_description"] == "Emulated failure"
    # Wise did create the account: only the answer was lost.
    assert control.get_user("lost@example.com") is not None
    with pytest.raises(EmulatorControlError):
        control.add_fault("GET", "/v1/me", status=None, lose_answer=True)


def test_hold_fault_parks_requests_until_released(control: EmulatorControl, live: str) -> None:
    fault = control.add_fault("GET", "/v1/me", status=503, count=2, hold=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        calls = [pool.submit(requests.get, f"{live}/v1/me", timeout=30) for _ in range(2)]
        wait_until(
            lambda: control.fault(fault["id"])["waiting"],
            lambda n: n == 2,
            what="both requests to be parked",
        )
        assert not any(call.done() for call in calls)
        assert control.release_fault(fault["id"]) == 1
        assert [call.result().status_code for call in calls] == [503, 503]
    # The counts are used up: the next request goes straight through.
    assert requests.get(f"{live}/v1/me", timeout=10).status_code == 401


def test_clearing_faults_releases_held_requests(control: EmulatorControl, live: str) -> None:
    fault = control.add_fault("GET", "/v1/me", status=None, hold=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        call = pool.submit(requests.get, f"{live}/v1/me", timeout=30)
        wait_until(
            lambda: control.fault(fault["id"])["waiting"],
            lambda n: n == 1,
            what="the request to be parked",
        )
        control.clear_faults()
        assert call.result().status_code == 401


def test_fault_only_for_one_grant_type(control: EmulatorControl, live: str) -> None:
    control.add_fault("POST", "/oauth/token", status=500, grant_type="refresh_token", body={"x": 1})
    ok = requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert ok.status_code == 200
    failed = requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "r"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert (failed.status_code, failed.json()) == (500, {"x": 1})


def test_clock_settings_and_reset(control: EmulatorControl) -> None:
    before = control.advance_clock(0)["offset_seconds"]
    assert control.advance_clock(90)["offset_seconds"] == before + 90
    assert control.update_settings(refresh_token_rotation=True)["refresh_token_rotation"] is True
    with pytest.raises(EmulatorControlError):
        control.update_settings(no_such_switch=1)
    with pytest.raises(EmulatorControlError):
        control.update_settings(refresh_token_rotation="yes")
    control.create_user("temp@example.com")
    control.reset()
    assert control.get_user("temp@example.com") is None
    assert control.get_user("ada@example.com") is not None
    assert control.settings()["refresh_token_rotation"] is False
    assert control.advance_clock(0)["offset_seconds"] == 0


def test_revoke_and_change_email(control: EmulatorControl, live: str) -> None:
    issued = control.authorize(CLIENT_ID, REDIRECT_URI, "grace@example.com")
    access = exchange(live, issued["code"]).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert requests.get(f"{live}/v1/me", headers=headers, timeout=10).status_code == 200
    assert control.revoke_user("grace@example.com")["revoked_refresh_tokens"] == 1
    assert requests.get(f"{live}/v1/me", headers=headers, timeout=10).status_code == 401
    changed = control.change_email("grace@example.com", "grace.h@example.com")
    assert changed["email"] == "grace.h@example.com"
    assert control.get_user("grace@example.com") is None


def test_register_client_at_run_time(control: EmulatorControl) -> None:
    control.register_client("late", "late-secret", "late-key", ["http://127.0.0.1:1/cb"])
    issued = control.authorize("late", "http://127.0.0.1:1/cb", "ada@example.com")
    assert issued["code"]


def test_cli_serves_the_emulator() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from sample_app.wise_emulator.cli import emulator; emulator()",
            "--port",
            str(port),
            "--redirect-uri",
            "http://127.0.0.1:5000/cb",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first_line
        control = EmulatorControl(f"http://127.0.0.1:{port}")
        issued = control.authorize("acme-bank-demo", "http://127.0.0.1:5000/cb", "ada@example.com")
        assert issued["code"]
    finally:
        process.terminate()
        process.wait(timeout=10)
