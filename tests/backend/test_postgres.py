"""The same rules on PostgreSQL: compare-and-set under concurrency, the full link, the schema."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from sample_app.demo import Stack, build_stack
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.support.factories import stack_overrides
from tests.support.kit import KitApi
from tests.support.waiting import wait_until

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_stack(postgres_url: str, clock: FrozenClock) -> Iterator[Stack]:
    running = build_stack(
        database_url=postgres_url,
        kit_overrides=stack_overrides(clock),
        emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
    )
    yield running
    running.stop()
    runtime_of(running.kit_app).engine.dispose()


def test_concurrent_launch_and_callback_each_have_one_winner(pg_stack: Stack) -> None:
    kit, wise = KitApi(pg_stack.kit_url), EmulatorControl(pg_stack.emulator_url)
    created = kit.create_session()
    barrier = threading.Barrier(20)

    def redeem(_: int) -> requests.Response:
        barrier.wait()
        return requests.get(created["launch_url"], allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(max_workers=20) as pool:
        launches = list(pool.map(redeem, range(20)))
    winners = [r for r in launches if r.status_code == 303]
    assert len(winners) == 1
    assert sorted({r.status_code for r in launches}) == [303, 410]

    winner = winners[0]
    state = parse_qs(urlsplit(winner.headers["Location"]).query)["state"][0]
    cookies = {c.name: c.value or "" for c in winner.cookies}
    granted = wise.authorize(
        "acme-bank-demo",
        f"{pg_stack.kit_url}/oauth/wise/callback",
        "ada@example.com",
        state=state,
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
    barrier = threading.Barrier(20)

    def call(_: int) -> int:
        barrier.wait()
        return kit.callback(params, cookies).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(call, range(20)))
    assert statuses.count(303) == 1
    assert statuses.count(400) == 19
    assert wise.counters()["token_requests"]["authorization_code"] == 1
    assert kit.get_session(created["id"])["status"] == "linked"
    assert kit.get_link("c-123")["status"] == "linked"


def _open_transactions(database_url: str) -> list[str]:
    from tests.prefill.test_no_open_transaction import open_transactions

    return open_transactions(database_url)


def _linked(pg_stack: Stack) -> tuple[KitApi, EmulatorControl]:
    kit, wise = KitApi(pg_stack.kit_url), EmulatorControl(pg_stack.emulator_url)
    created = kit.create_session()
    launched = kit.launch(created["launch_url"], created["id"])
    granted = wise.authorize(
        "acme-bank-demo",
        f"{pg_stack.kit_url}/oauth/wise/callback",
        "ada@example.com",
        state=launched.state,
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
    assert kit.callback(params, launched.cookies).status_code == 303
    return kit, wise


def _callback_in_flight(pg_stack: Stack) -> tuple[EmulatorControl, Callable[[], int], int]:
    """A launched session whose callback, when called, exchanges a fresh code."""
    kit, wise = KitApi(pg_stack.kit_url), EmulatorControl(pg_stack.emulator_url)
    created = kit.create_session()
    launched = kit.launch(created["launch_url"], created["id"])
    granted = wise.authorize(
        "acme-bank-demo",
        f"{pg_stack.kit_url}/oauth/wise/callback",
        "ada@example.com",
        state=launched.state,
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}

    def call() -> int:
        return kit.callback(params, launched.cookies).status_code

    return wise, call, 303


def _refresh_in_flight(
    pg_stack: Stack, clock: FrozenClock
) -> tuple[EmulatorControl, Callable[[], int], int]:
    """A linked customer whose access token is due, so the next token request refreshes."""
    kit, wise = _linked(pg_stack)
    clock.advance(43199)

    def call() -> int:
        url = f"{pg_stack.kit_url}/api/v1/customers/c-123/wise-link/access-token"
        return kit.http.post(url, timeout=30).status_code

    return wise, call, 200


@pytest.mark.parametrize("grant_type", ["authorization_code", "refresh_token"])
def test_no_transaction_is_open_while_wise_is_called(
    pg_stack: Stack, postgres_url: str, clock: FrozenClock, grant_type: str
) -> None:
    if grant_type == "refresh_token":
        wise, call, expected = _refresh_in_flight(pg_stack, clock)
    else:
        wise, call, expected = _callback_in_flight(pg_stack)
    fault = wise.add_fault("POST", "/oauth/token", status=None, hold=True, grant_type=grant_type)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(call)
        try:
            wait_until(
                lambda: wise.fault(fault["id"])["waiting"],
                lambda n: n == 1,
                what=f"the kit to be waiting on the {grant_type} grant",
            )
            assert _open_transactions(postgres_url) == []
        finally:
            wise.release_fault(fault["id"])
        assert pending.result() == expected
