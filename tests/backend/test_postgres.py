"""PostgreSQL only: no transaction is open while the kit waits on Wise.

The compare-and-set races run on both databases where they are defined (``ON_BOTH_DATABASES``
in tests/backend/test_launch.py and test_callback.py); this check needs pg_stat_activity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest

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
