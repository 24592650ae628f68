"""Right after linking the worker asks Wise for the verification status, per currency route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.retries import backoff_ceiling
from backend.settings import SettingsError, load_settings
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.conftest import Hooks, stack_with
from tests.lifecycle.helpers import (
    LifecycleApi,
    PartnerReceiver,
    link_customer,
    link_row,
    settled,
    verification_body,
)

CHECK = "POST /v3/profiles/{profile_id}/verification-status/bank-transfer"
CHECK_PATH = "/v3/profiles/*/verification-status/bank-transfer"


def checks(wise: EmulatorControl) -> int:
    return int(wise.counters()["requests"].get(CHECK, 0))


def test_the_worker_asks_wise_right_after_linking(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack
) -> None:
    link_customer(api, wise, stack)
    assert api.link().json()["verification_status"] == "unknown"  # the request only stored
    settled(stack)
    link = api.link().json()
    assert checks(wise) == 1
    assert link["verification_status"] == "not_verified"
    assert link["verification_routes"] == [
        {"source_currency": c, "current_status": "not_verified", "maximum_entitled_amount": 0}
        for c in ("GBP", "EUR", "USD")
    ]
    assert link["verification_checked_at"] is not None
    settled(stack)
    assert checks(wise) == 1, "asked once per link"


def test_routes_may_be_mixed_and_allow_an_amount_before_verification(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack
) -> None:
    linked = link_customer(api, wise, stack)
    wise.set_verification_routes(
        linked.profile_id,
        {
            "GBP": {"current_status": "verified", "maximum_entitled_amount": 100000},
            "USD": {"current_status": "not_verified", "maximum_entitled_amount": 2500},
        },
    )
    settled(stack)
    link = api.link().json()
    # Not every route is verified, but USD may already pay up to 2500 (cumulative).
    assert link["verification_status"] == "not_verified"
    routes = {r["source_currency"]: r for r in link["verification_routes"]}
    assert routes["GBP"] == {
        "source_currency": "GBP",
        "current_status": "verified",
        "maximum_entitled_amount": 100000,
    }
    assert (routes["USD"]["current_status"], routes["USD"]["maximum_entitled_amount"]) == (
        "not_verified",
        2500,
    )
    assert routes["EUR"]["maximum_entitled_amount"] == 0
    # Asked for just one currency, the partner sees that route alone.
    one = api.link(refresh="verification", source_currencies="GBP").json()
    assert [r["source_currency"] for r in one["verification_routes"]] == ["GBP"]
    assert one["verification_status"] == "verified"


@pytest.fixture
def yen_stack(database_url: str, clock: FrozenClock) -> Iterator[Stack]:
    running = stack_with(database_url, clock, ONBOARDING_VERIFICATION_SOURCE_CURRENCIES="jpy,CHF")
    yield running
    running.stop()
    runtime_of(running.kit_app).engine.dispose()


def test_the_currencies_asked_are_a_setting(yen_stack: Stack) -> None:
    api, wise = LifecycleApi(yen_stack.kit_url), EmulatorControl(yen_stack.emulator_url)
    link_customer(api, wise, yen_stack)
    settled(yen_stack)
    routes = api.link().json()["verification_routes"]
    assert [r["source_currency"] for r in routes] == ["JPY", "CHF"]


@pytest.mark.parametrize("value", ["GB", "GBP,EURO", "12A", ",", ",".join(["GBP"] * 11)])
def test_bad_currency_settings_are_refused(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"ONBOARDING_VERIFICATION_SOURCE_CURRENCIES": value})
    assert any("ONBOARDING_VERIFICATION_SOURCE_CURRENCIES" in p for p in refused.value.problems)


def test_a_failing_check_backs_off_then_succeeds(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack, clock: FrozenClock, database_url: str
) -> None:
    link_customer(api, wise, stack)
    wise.add_fault("POST", CHECK_PATH, status=503, count=1)
    settled(stack)
    row = link_row(database_url)
    assert row["verification_check_attempts"] == 1
    assert row["verification_check_last_error"] == "attempt 1: wise_unavailable"
    assert api.link().json()["verification_status"] == "unknown"
    settled(stack)
    assert checks(wise) == 1, "backing off"
    clock.advance(backoff_ceiling(runtime_of(stack.kit_app).settings, 1))
    settled(stack)
    row = link_row(database_url)
    assert (row["verification_check_attempts"], row["verification_check_due_at"]) == (0, None)
    assert api.link().json()["verification_status"] == "not_verified"


def test_the_partner_hears_the_status_without_waiting_for_a_webhook(
    notified: Hooks, receiver: PartnerReceiver
) -> None:
    linked = link_customer(notified.api, notified.wise, notified.stack)
    notified.wise.set_verification_routes(
        linked.profile_id,
        {
            c: {"current_status": "verified", "maximum_entitled_amount": 1}
            for c in ("GBP", "EUR", "USD")
        },
    )
    notified.settle()
    types = [e["type"] for e in receiver.events() if e["type"].startswith("link.")]
    assert types == ["link.linked", "link.verified"]
    verified: Any = receiver.events()[-1]
    assert verified["link"]["verification_routes"][0]["current_status"] == "verified"


def test_an_event_of_the_same_second_as_the_check_wins_and_an_older_one_does_not(
    hooks: Hooks, clock: FrozenClock
) -> None:
    """Wise's event times have whole seconds: one stamped with the check's second may be newer."""
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    hooks.settle()  # the check, at the kit's "now"
    assert hooks.api.link().json()["verification_status"] == "not_verified"
    asked = clock.now()
    earlier = (asked - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    same = asked.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert hooks.post(verification_body(linked.profile_id, "verified", earlier)).status_code == 200
    hooks.settle()
    assert hooks.api.link().json()["verification_status"] == "not_verified"
    assert hooks.post(verification_body(linked.profile_id, "verified", same)).status_code == 200
    hooks.settle()
    assert hooks.api.link().json()["verification_status"] == "verified"
