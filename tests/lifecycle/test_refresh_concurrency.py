"""Single-flight refresh: 100 concurrent callers for one link, one refresh at Wise.

The callers are threads hitting a real threaded kit server, so they share nothing but the
database: the same as callers spread over processes and instances.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from backend.clock import FrozenClock
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    LifecycleApi,
    link_customer,
    refreshes,
    stored_tokens,
    wise_accepts,
)
from tests.support.factories import API_KEY
from tests.support.waiting import wait_until

CALLERS = 100


def hundred_callers(stack: Stack, clock: FrozenClock, database_url: str) -> None:
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    linked = link_customer(api, wise, stack)
    old_access, _ = stored_tokens(stack, database_url)
    clock.advance(ACCESS_TOKEN_SECONDS)  # the token is now expired
    # Wise holds the refresh until every caller has sent its request, so all of them arrive
    # while the refresh is running, however fast or slow the machine is.
    fault = wise.add_fault(
        "POST", "/oauth/token", status=None, hold=True, grant_type="refresh_token"
    )
    url = f"{stack.kit_url}/api/v1/customers/c-123/wise-link/access-token"
    barrier = threading.Barrier(CALLERS)
    sent = threading.Semaphore(0)

    def call(_: int) -> requests.Response:
        barrier.wait()
        sent.release()
        return requests.post(url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60)

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        pending = [pool.submit(call, n) for n in range(CALLERS)]
        for _ in range(CALLERS):
            assert sent.acquire(timeout=30)
        wait_until(
            lambda: wise.fault(fault["id"])["waiting"],
            lambda n: n >= 1,
            what="the refresh to be in flight at Wise",
        )
        wise.release_fault(fault["id"])
        answers = [p.result() for p in pending]
    assert [r.status_code for r in answers] == [200] * CALLERS, {r.text for r in answers}
    tokens = {r.json()["access_token"] for r in answers}
    assert refreshes(wise) == 1
    assert len(tokens) == 1
    (token,) = tokens
    assert token != old_access
    assert stored_tokens(stack, database_url)[0] == token
    assert wise_accepts(stack, token, linked.profile_id)


def test_one_refresh_for_a_hundred_concurrent_callers_on_sqlite(
    stack: Stack, clock: FrozenClock, database_url: str
) -> None:
    hundred_callers(stack, clock, database_url)


@pytest.mark.postgres
def test_one_refresh_for_a_hundred_concurrent_callers_on_postgres(
    pg_stack: Stack, clock: FrozenClock, postgres_url: str
) -> None:
    hundred_callers(pg_stack, clock, postgres_url)
