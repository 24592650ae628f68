"""No database transaction stays open while the kit waits on Wise (PostgreSQL, where it shows).

Each case parks one Wise call of a prefill launch with a hold fault, then asks PostgreSQL whether
any of the kit's connections sits "idle in transaction" meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.prefill.conftest import PrefillKit, prefill_body
from tests.support.kit import KitApi
from tests.support.waiting import wait_until

pytestmark = pytest.mark.postgres

SIGN_UP = "/v1/user/signup/registration_code"


def open_transactions(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT left(query, 60) FROM pg_stat_activity WHERE datname = :db "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                ),
                {"db": make_url(database_url).database},
            ).all()
    finally:
        engine.dispose()
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("warm", "method", "path", "grant_type"),
    [
        (False, "POST", "/oauth/token", "client_credentials"),
        (False, "POST", SIGN_UP, None),
        (False, "POST", "/v2/profiles/personal-profile", None),
        (False, "POST", "/v1/user/claim-account", None),
        # A second session of the same customer: account known, application token cached.
        (True, "POST", "/oauth/token", "registration_code"),
        (True, "POST", "/v1/user/claim-account", None),
    ],
)
def test_no_transaction_is_open_while_wise_is_called(
    stack_factory: Callable[..., Stack],
    postgres_url: str,
    warm: bool,
    method: str,
    path: str,
    grant_type: str | None,
) -> None:
    stack = stack_factory(database=postgres_url)
    kit = PrefillKit(KitApi(stack.kit_url), stack)
    wise = EmulatorControl(stack.emulator_url)
    if warm:
        kit.launch(kit.create(prefill_body()))
    created = kit.create(prefill_body())
    fault = wise.add_fault(method, path, status=None, hold=True, grant_type=grant_type)
    result: dict[str, Any] = {}
    launching = threading.Thread(target=lambda: result.update(launched=kit.launch(created)))
    launching.start()
    try:
        wait_until(
            lambda: wise.fault(fault["id"])["waiting"],
            lambda n: n == 1,
            what=f"the launch to be waiting on {method} {path}",
        )
        assert open_transactions(postgres_url) == []
    finally:
        wise.release_fault(fault["id"])
        launching.join(timeout=30)
    assert result["launched"].authorize_url
