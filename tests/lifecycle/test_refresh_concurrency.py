"""Single-flight refresh: 100 concurrent callers for one link, one refresh at Wise.

The callers are threads hitting a real threaded kit server, so they share nothing but the
database: the same as callers spread over processes and instances.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import requests

from backend import create_app
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
    instance_config,
    link_customer,
    refreshes,
    stored_tokens,
    wise_accepts,
)
from tests.support.factories import API_KEY
from tests.support.waiting import wait_until

CALLERS = 100


class Arrivals:
    """WSGI middleware in front of the kit that counts the requests for one path as they arrive."""

    def __init__(self, app: Callable[..., Any], path: str) -> None:
        self.app = app
        self.path = path
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == self.path:
            with self._lock:
                self.count += 1
        return self.app(environ, start_response)


def callers_at_once(stack: Stack, count: int) -> list[requests.Response]:
    """``count`` partner calls for c-123's token, all arriving while Wise holds the refresh."""
    wise = EmulatorControl(stack.emulator_url)
    # Wise holds the refresh until the test releases it, and the kit's server counts the calls
    # that reach it: the release waits until every caller is in, so all of them arrive while
    # the refresh is running, however fast or slow the machine is.
    fault = wise.add_fault(
        "POST", "/oauth/token", status=None, hold=True, grant_type="refresh_token"
    )
    path = "/api/v1/customers/c-123/wise-link/access-token"
    arrivals = Arrivals(stack.kit_app, path)
    stack.kit.app = arrivals
    barrier = threading.Barrier(count)

    def call(_: int) -> requests.Response:
        barrier.wait()
        return requests.post(
            stack.kit_url + path, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
        )

    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            pending = [pool.submit(call, n) for n in range(count)]
            wait_until(
                lambda: wise.fault(fault["id"])["waiting"],
                lambda n: n >= 1,
                what="the refresh to be in flight at Wise",
            )
            wait_until(
                lambda: arrivals.count,
                lambda n: n == count,
                timeout=30,
                what=f"all {count} callers to reach the kit",
            )
            # Both only grow until the release: every caller is in, one refresh is held at Wise.
            assert wise.fault(fault["id"])["waiting"] == 1
            wise.release_fault(fault["id"])
            return [p.result() for p in pending]
    finally:
        stack.kit.app = stack.kit_app


def hundred_callers(stack: Stack, clock: FrozenClock, database_url: str) -> None:
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    linked = link_customer(api, wise, stack)
    old_access, _ = stored_tokens(stack, database_url)
    clock.advance(ACCESS_TOKEN_SECONDS)  # the token is now expired
    answers = callers_at_once(stack, CALLERS)
    assert [r.status_code for r in answers] == [200] * CALLERS, {r.text for r in answers}
    tokens_handed_out = {r.json()["access_token"] for r in answers}
    assert refreshes(wise) == 1
    assert len(tokens_handed_out) == 1
    (token,) = tokens_handed_out
    assert token != old_access
    assert stored_tokens(stack, database_url)[0] == token
    assert wise_accepts(stack, token, linked.profile_id)


@ON_BOTH_DATABASES
def test_one_refresh_for_a_hundred_concurrent_callers(
    db_stack: Stack, clock: FrozenClock, db_url: str
) -> None:
    hundred_callers(db_stack, clock, db_url)


@ON_BOTH_DATABASES
def test_a_margin_longer_than_the_token_lifetime_refreshes_once(
    db_stack: Stack, clock: FrozenClock, db_url: str
) -> None:
    """Wise's tokens live 300 s here, half the 600 s margin: every fresh token is within it."""
    stack, database_url = db_stack, db_url
    lifetime = MARGIN_SECONDS // 2
    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    wise.update_settings(access_token_lifetime_seconds=lifetime)
    linked = link_customer(api, wise, stack)
    old_access, _ = stored_tokens(stack, database_url)
    clock.advance(lifetime - 10)  # past half the token's life: due, not expired
    answers = callers_at_once(stack, 20)
    assert [r.status_code for r in answers] == [200] * 20, {r.text for r in answers}
    assert refreshes(wise) == 1
    handed_out = {(r.json()["access_token"], r.json()["expires_at"]) for r in answers}
    assert len(handed_out) == 1
    ((token, expires_at),) = handed_out
    assert token != old_access
    assert wise_accepts(stack, token, linked.profile_id)
    # The new token is itself within the margin, and still nobody refreshes it again: not the
    # next partner calls, and not the refresh command.
    expires = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    assert expires - clock.now() < timedelta(seconds=MARGIN_SECONDS)
    assert [api.token_value() for _ in range(3)] == [token] * 3
    instance = create_app({**instance_config(stack, database_url), "CLOCK": clock})
    with runtime_of(instance).job() as ctx:
        assert tokens.refresh_due(ctx=ctx)["refreshed"] == 0
    runtime_of(instance).engine.dispose()
    assert refreshes(wise) == 1
    assert wise_accepts(stack, token, linked.profile_id)
    # Past half of its life the token is due again, and one call refreshes it.
    clock.advance(lifetime // 2 + 1)
    assert api.token_value() != token
    assert refreshes(wise) == 2
