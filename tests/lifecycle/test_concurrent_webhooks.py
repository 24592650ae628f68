"""Webhooks arriving at the same moment: duplicates, copies and first inserts race, one effect wins.

On PostgreSQL two transactions really run side by side (row locks, not a database lock), so a
first insert of the same transfer can collide and the loser must retry through the update path.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.clock import FrozenClock
from tests.lifecycle.conftest import ON_BOTH_DATABASES, Hooks
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    link_customer,
    query,
    transfer_body,
    verification_body,
)
from tests.support.kit import TIMEOUT

STATES = [
    ("incoming_payment_waiting", "2030-01-01T10:00:00Z"),
    ("processing", "2030-01-01T10:00:10Z"),
    ("funds_converted", "2030-01-01T10:00:20Z"),
    ("outgoing_payment_sent", "2030-01-01T10:00:30Z"),
]
TRANSFERS = 8


def race(hooks: Hooks, bodies: list[bytes]) -> list[int]:
    barrier = threading.Barrier(len(bodies))

    def send(body: bytes) -> int:
        barrier.wait()
        return int(hooks.post(body).status_code)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def transfers_race(hooks: Hooks, database_url: str) -> None:
    bodies = [transfer_body(1000 + n, state, at) for n in range(TRANSFERS) for state, at in STATES]
    assert race(hooks, bodies) == [200] * len(bodies)
    hooks.settle()
    for n in range(TRANSFERS):
        answer = hooks.api.http.get(
            f"{hooks.stack.kit_url}/api/v1/wise-transfers/{1000 + n}", timeout=TIMEOUT
        )
        assert answer.json()["current_state"] == "outgoing_payment_sent"
    pending = query(database_url, "SELECT id FROM wise_webhook_event WHERE processed_at IS NULL")
    assert pending == []


def duplicates_race(hooks: Hooks, database_url: str) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    body = verification_body(linked.profile_id, "verified", "2030-01-01T10:00:00Z")
    assert race(hooks, [body] * 10) == [200] * 10
    hooks.settle()
    assert len(query(database_url, "SELECT id FROM wise_webhook_event")) == 1
    events = query(database_url, "SELECT event FROM wise_link_event")
    assert [e["event"] for e in events].count("verification_changed") == 1


@ON_BOTH_DATABASES
def test_racing_transfer_events(hooks: Hooks, db_url: str) -> None:
    transfers_race(hooks, db_url)


@ON_BOTH_DATABASES
def test_racing_duplicates(hooks: Hooks, db_url: str) -> None:
    duplicates_race(hooks, db_url)


SUBSCRIPTIONS = ("f2f3c1aa-0000-4000-8000-00000000000a", "f2f3c1aa-0000-4000-8000-00000000000b")


@ON_BOTH_DATABASES
def test_one_event_through_two_subscriptions_at_the_same_moment_has_one_effect(
    hooks: Hooks, db_url: str
) -> None:
    """Wise sends each event once per subscription: the same data, each copy with its own
    subscription id and delivery id. All copies arrive together; each event applies once."""
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    events = 1 + len(STATES)
    bodies = [
        verification_body(
            linked.profile_id, "verified", "2030-01-01T10:00:00Z", subscription_id=sub
        )
        for sub in SUBSCRIPTIONS
    ] + [
        transfer_body(4000, state, at, subscription_id=sub)
        for state, at in STATES
        for sub in SUBSCRIPTIONS
    ]
    assert len(set(bodies)) == 2 * events  # every copy is a delivery of its own
    assert race(hooks, bodies) == [200] * len(bodies)
    hooks.settle()
    rows = query(db_url, "SELECT event_key, outcome FROM wise_webhook_event")
    assert len(rows) == len(bodies)
    outcomes: dict[str, list[str]] = {}
    for row in rows:
        outcomes.setdefault(row["event_key"], []).append(row["outcome"])
    assert len(outcomes) == events
    assert all(sorted(pair) == ["applied", "duplicate_event"] for pair in outcomes.values())
    events_recorded = [e["event"] for e in query(db_url, "SELECT event FROM wise_link_event")]
    assert events_recorded.count("verification_changed") == 1
    assert hooks.api.link().json()["verification_status"] == "verified"
    transfer = hooks.api.http.get(
        f"{hooks.stack.kit_url}/api/v1/wise-transfers/4000", timeout=TIMEOUT
    ).json()
    assert transfer["current_state"] == "outgoing_payment_sent"


@pytest.mark.postgres
def test_revocation_and_unlink_on_postgres(
    pg_hooks: Hooks, postgres_url: str, clock: FrozenClock
) -> None:
    linked = link_customer(pg_hooks.api, pg_hooks.wise, pg_hooks.stack)
    pg_hooks.wise.revoke_user(linked.email)
    clock.advance(ACCESS_TOKEN_SECONDS)
    assert pg_hooks.api.access_token().status_code == 409
    (row,) = query(postgres_url, "SELECT status, access_token_ciphertext FROM wise_link")
    assert row == {"status": "reauthorization_required", "access_token_ciphertext": None}
    link_customer(pg_hooks.api, pg_hooks.wise, pg_hooks.stack)
    assert pg_hooks.api.link().json()["status"] == "linked"
    assert pg_hooks.api.unlink().status_code == 204
    events = [
        e["event"] for e in query(postgres_url, "SELECT event FROM wise_link_event ORDER BY id")
    ]
    assert events == ["linked", "reauthorization_required", "relinked", "unlinked"]
