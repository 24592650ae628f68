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

CALLERS = 100


def hundred_callers(stack: Stack, clock: FrozenClock, database_url: str) -> None:
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    linked = link_customer(api, wise, stack)
    old_access, _ = stored_tokens(stack, database_url)
    clock.advance(ACCESS_TOKEN_SECONDS)  # the token is now expired
    # Wise takes half a second to refresh, so every caller arrives while the refresh is running.
    wise.add_fault(
        "POST", "/oauth/token", status=None, delay_seconds=0.5, grant_type="refresh_token"
    )
    url = f"{stack.kit_url}/api/v1/customers/c-123/wise-link/access-token"
    barrier = threading.Barrier(CALLERS)

    def call(_: int) -> requests.Response:
        barrier.wait()
        return requests.post(url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60)

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        answers = list(pool.map(call, range(CALLERS)))
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
