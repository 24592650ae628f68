"""``onboarding-kit refresh-tokens``: each due link refreshed once, even run on every instance."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from backend import create_app
from backend.cli import main
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.services import tokens
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.conftest import ON_BOTH_DATABASES
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    MARGIN_SECONDS,
    LifecycleApi,
    age_tokens,
    instance_config,
    link_customer,
    refreshes,
    stored_tokens,
)
from tests.support.waiting import wait_until

INSTANCES = 4


def link_many(api: LifecycleApi, wise: EmulatorControl, stack: Stack, ids: list[str]) -> None:
    for external_id in ids:
        email = f"{external_id}@example.com"
        wise.create_user(email, date_of_birth="1990-04-01")
        link_customer(api, wise, stack, external_id=external_id, email=email)


@ON_BOTH_DATABASES
def test_every_instance_at_once_refreshes_each_due_link_once(
    db_stack: Stack, clock: FrozenClock, db_url: str
) -> None:
    stack, database_url = db_stack, db_url
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    link_many(api, wise, stack, ["c-1", "c-2", "c-3"])
    clock.advance(20_000)
    link_many(api, wise, stack, ["c-4"])  # linked later: not due yet
    clock.advance(ACCESS_TOKEN_SECONDS - MARGIN_SECONDS - 20_000 + 1)
    before = {c: stored_tokens(stack, database_url, c)[0] for c in ("c-1", "c-2", "c-3", "c-4")}
    # Each refresh is held at Wise until all three due links are being refreshed at once.
    fault = wise.add_fault(
        "POST", "/oauth/token", status=None, count=None, hold=True, grant_type="refresh_token"
    )
    apps = [
        create_app({**instance_config(stack, database_url), "CLOCK": clock})
        for _ in range(INSTANCES)
    ]
    barrier = threading.Barrier(INSTANCES)

    def run(index: int) -> dict[str, int]:
        with runtime_of(apps[index]).job() as ctx:
            barrier.wait()
            return tokens.refresh_due(ctx=ctx)

    with ThreadPoolExecutor(max_workers=INSTANCES) as pool:
        pending = [pool.submit(run, n) for n in range(INSTANCES)]
        wait_until(
            lambda: wise.fault(fault["id"])["waiting"],
            lambda n: n >= 3,
            what="a refresh of each due link to be in flight",
        )
        wise.clear_faults()  # releases the held refreshes
        reports = [p.result() for p in pending]
    assert refreshes(wise) == 3
    assert sum(r["refreshed"] for r in reports) == 3
    assert sum(r["failed"] + r["reauthorization_required"] for r in reports) == 0
    after = {c: stored_tokens(stack, database_url, c)[0] for c in before}
    assert [c for c in before if after[c] != before[c]] == ["c-1", "c-2", "c-3"]
    # The partner API now hands out the refreshed tokens without another refresh.
    assert api.token_value("c-2") == after["c-2"]
    assert refreshes(wise) == 3
    for app in apps:
        runtime_of(app).engine.dispose()


def test_the_command_reports_and_counts_revocations(
    stack: Stack,
    wise: EmulatorControl,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = LifecycleApi(stack.kit_url)
    link_many(api, wise, stack, ["c-1", "c-2"])
    wise.revoke_user("c-2@example.com")
    # The command runs on the system clock: both tokens are aged to a minute before expiry.
    age_tokens(database_url, ACCESS_TOKEN_SECONDS - 60)
    env = instance_config(stack, database_url)
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["refresh-tokens"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("refreshed 1, skipped 0, reauthorization_required 1, failed 0")
    assert api.link("c-2").json()["status"] == "reauthorization_required"
    age_tokens(database_url, ACCESS_TOKEN_SECONDS - 60)  # c-1's new token is due in turn
    wise.add_fault("POST", "/oauth/token", status=503, grant_type="refresh_token")
    failed = CliRunner().invoke(main, ["refresh-tokens"])
    assert failed.exit_code == 1
    assert "failed 1" in failed.output


def test_the_worker_backs_off_failing_refreshes_and_stops_after_the_last_attempt(
    database_url: str, clock: FrozenClock
) -> None:
    from tests.lifecycle.conftest import stack_with
    from tests.lifecycle.helpers import link_row, settled

    stack = stack_with(database_url, clock, ONBOARDING_TOKEN_REFRESH_MAX_ATTEMPTS="2")
    try:
        api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
        link_customer(api, wise, stack)
        settled(stack)  # the verification check right after linking, with the fresh token
        settings = runtime_of(stack.kit_app).settings
        clock.advance(ACCESS_TOKEN_SECONDS - MARGIN_SECONDS + 1)  # due
        wise.add_fault("POST", "/oauth/token", status=503, count=None, grant_type="refresh_token")
        settled(stack)
        row = link_row(database_url)
        assert row["refresh_attempts"] == 1
        assert row["refresh_last_error"] == "attempt 1: wise_unavailable"
        settled(stack)  # backing off: no second try yet
        assert refreshes(wise) == 1
        from backend.retries import backoff_ceiling

        clock.advance(backoff_ceiling(settings, 1))
        settled(stack)
        assert link_row(database_url)["refresh_attempts"] == 2
        clock.advance(backoff_ceiling(settings, 2) + 60)
        settled(stack)
        assert refreshes(wise) == 2, "after the last attempt the worker stops trying"
        # A partner asking for the token still refreshes it; success starts the count over.
        wise.clear_faults()
        assert api.access_token().status_code == 200
        row = link_row(database_url)
        assert (row["refresh_attempts"], row["refresh_last_error"]) == (0, None)
    finally:
        stack.stop()
        runtime_of(stack.kit_app).engine.dispose()
