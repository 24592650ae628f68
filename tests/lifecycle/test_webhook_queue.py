"""The stored-webhook queue: whatever Wise signed is stored and answered, bad events are parked
with a reason, failures back off and park, parked events block nothing and can be retried."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from backend.cli import main
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.leases import new_owner
from backend.retries import backoff_ceiling
from backend.services.webhooks import apply as queue
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.conftest import ON_BOTH_DATABASES, Hooks, stack_with
from tests.lifecycle.helpers import (
    LifecycleApi,
    Signer,
    envelope,
    instance_config,
    link_customer,
    query,
    transfer_body,
    verification_body,
)


def events(database_url: str) -> list[dict[str, Any]]:
    return query(
        database_url,
        "SELECT id, test, status, outcome, attempts, last_error, body_sha256, event_key "
        "FROM wise_webhook_event ORDER BY id",
    )


def transfers(database_url: str) -> list[dict[str, Any]]:
    return query(database_url, "SELECT transfer_id, current_state FROM wise_transfer_status")


def raw(data: dict[str, Any]) -> bytes:
    """A transfer event with exactly this data (json.dumps writes NUL out as the escape \\u0000)."""
    return envelope("transfers#state-change", data)


TRANSFER = {"type": "transfer", "id": 77, "profile_id": 30000001, "account_id": 7}
HOSTILE = [
    pytest.param(
        envelope("transfers\u0000#state-change", {"resource": TRANSFER}),
        "unreadable",
        id="NUL in event_type",
    ),
    pytest.param(
        raw({"resource": TRANSFER, "current_state": "processing\u0000", "occurred_at": "x"}),
        "invalid_data",
        id="NUL in current_state",
    ),
    pytest.param(
        raw(
            {
                "resource": TRANSFER,
                "current_state": "processing",
                "occurred_at": "0001-01-01T00:00:00+14:00",
            }
        ),
        "invalid_data",
        id="out-of-range date",
    ),
    pytest.param(
        raw(
            {
                "resource": {**TRANSFER, "id": 10**30},
                "current_state": "processing",
                "occurred_at": "2030-01-01T10:00:00Z",
            }
        ),
        "invalid_data",
        id="huge id",
    ),
    pytest.param(
        b'{"event_type": "transfers#state-change", "n": ' + b"9" * 5000 + b"}",
        "unreadable",
        id="number too long to read",
    ),
    pytest.param(
        raw({"resource": TRANSFER, "current_state": 5, "occurred_at": ["2030"]}),
        "invalid_data",
        id="wrong types",
    ),
    pytest.param(b'{"event_type": "x", \x00 "raw NUL byte"}', "unreadable", id="raw NUL byte"),
    pytest.param(b"\xff\xfe not even UTF-8", "unreadable", id="invalid UTF-8"),
]


@ON_BOTH_DATABASES
@pytest.mark.parametrize(("body", "outcome"), HOSTILE)
def test_a_signed_body_is_always_stored_answered_200_and_parked_when_unusable(
    hooks: Hooks, db_url: str, body: bytes, outcome: str
) -> None:
    response = hooks.post(body)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False}
    good = transfer_body(5, "processing", "2030-01-01T10:00:00Z")
    assert hooks.post(good).status_code == 200
    hooks.settle()
    bad, applied = events(db_url)
    assert (bad["status"], bad["outcome"]) == ("dead", outcome)
    assert bad["last_error"].startswith(outcome)
    # The parked event stands in nobody's way, and is parked once, not retried in a loop.
    assert (applied["status"], applied["outcome"]) == ("done", "applied")
    assert transfers(db_url) == [{"transfer_id": 5, "current_state": "processing"}]
    hooks.settle()
    assert events(db_url)[0]["attempts"] == 1


@ON_BOTH_DATABASES
def test_a_test_notification_never_suppresses_the_real_delivery(hooks: Hooks, db_url: str) -> None:
    """X-Test-Notification is not covered by Wise's signature: a copy sent with it first must
    not make the genuine delivery of the same body look like a duplicate."""
    body = transfer_body(9, "processing", "2030-01-01T10:00:00Z")
    first = hooks.post(body, **{"X-Test-Notification": "true"})
    assert first.json() == {"received": True, "duplicate": False}
    real = hooks.post(body)
    assert real.json() == {"received": True, "duplicate": False}
    hooks.settle()
    test, genuine = events(db_url)
    assert (test["test"], test["outcome"], test["body_sha256"]) == (True, "test_notification", None)
    assert test["event_key"] is None
    assert (genuine["status"], genuine["outcome"]) == ("done", "applied")
    assert transfers(db_url) == [{"transfer_id": 9, "current_state": "processing"}]
    # The genuine delivery is in the ledger: Wise's retry of it is a duplicate.
    assert hooks.post(body).json() == {"received": True, "duplicate": True}


@pytest.fixture
def strict_hooks(database_url: str, clock: FrozenClock, signer: Signer) -> Iterator[Hooks]:
    """A stack that parks a failing event after three attempts."""
    running = stack_with(database_url, clock, signer, ONBOARDING_WEBHOOK_MAX_ATTEMPTS="3")
    yield Hooks(
        running, signer, LifecycleApi(running.kit_url), EmulatorControl(running.emulator_url)
    )
    running.stop()
    runtime_of(running.kit_app).engine.dispose()


def test_failures_back_off_then_park_and_an_operator_puts_them_back(
    strict_hooks: Hooks,
    database_url: str,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hooks = strict_hooks
    engine = create_engine(database_url)
    # The transfer table is gone (a botched manual change, say): applying fails every time.
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE wise_transfer_status RENAME TO transfer_status_away"))
    assert hooks.post(transfer_body(3, "processing", "2030-01-01T10:00:00Z")).status_code == 200
    settings = runtime_of(hooks.stack.kit_app).settings
    hooks.settle()
    [row] = events(database_url)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"] == "attempt 1: OperationalError"
    hooks.settle()  # not due yet: the backoff holds it back
    assert events(database_url)[0]["attempts"] == 1
    clock.advance(backoff_ceiling(settings, 1))
    hooks.settle()
    assert events(database_url)[0]["attempts"] == 2
    clock.advance(backoff_ceiling(settings, 2))
    hooks.settle()
    [row] = events(database_url)
    assert (row["status"], row["attempts"]) == ("dead", 3)
    # Parked: no more attempts, whatever the time.
    clock.advance(86400)
    hooks.settle()
    assert events(database_url)[0]["attempts"] == 3

    for name, value in instance_config(hooks.stack, database_url).items():
        monkeypatch.setenv(name, str(value))
    listed = CliRunner().invoke(main, ["webhooks", "failed"])
    assert listed.exit_code == 0, listed.output
    assert "transfers#state-change  attempts 3  attempt 3: OperationalError" in listed.output
    assert "1 parked webhook events" in listed.output
    refused = CliRunner().invoke(main, ["webhooks", "retry"])
    assert refused.exit_code == 2
    assert "give the ids to retry, or --all" in refused.output
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE transfer_status_away RENAME TO wise_transfer_status"))
    engine.dispose()
    retried = CliRunner().invoke(main, ["webhooks", "retry", str(row["id"])])
    assert retried.exit_code == 0, retried.output
    assert "1 webhook events back in the queue" in retried.output
    hooks.settle()
    [row] = events(database_url)
    assert (row["status"], row["outcome"], row["attempts"]) == ("done", "applied", 1)
    assert transfers(database_url) == [{"transfer_id": 3, "current_state": "processing"}]
    assert "no parked webhook events" in CliRunner().invoke(main, ["webhooks", "failed"]).output


@ON_BOTH_DATABASES
def test_an_event_held_by_a_dead_worker_is_applied_once_its_lease_runs_out(
    hooks: Hooks, db_url: str, clock: FrozenClock
) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    body = verification_body(linked.profile_id, "verified", "2030-01-01T10:00:00Z")
    assert hooks.post(body).status_code == 200
    runtime = runtime_of(hooks.stack.kit_app)
    with runtime.job() as ctx:
        # A worker claims the event, then is killed (SIGKILL) before it records anything.
        now = ctx.now()
        claimed = queue.QUEUE.claim_next(
            ctx.db,
            text("status = 'pending'"),
            order_by=[text("id")],
            owner=new_owner(),
            until=now + queue.lease_length(ctx),
            now=now,
        )
    assert claimed is not None
    hooks.settle()
    # Only the kit's own check right after linking has run: the held event is not applied.
    assert hooks.api.link().json()["verification_status"] == "not_verified"
    clock.advance(runtime.settings.worker_lease_seconds + 1)
    hooks.settle()
    assert hooks.api.link().json()["verification_status"] == "verified"
    [row] = events(db_url)
    assert (row["status"], row["outcome"]) == ("done", "applied")


def test_the_stored_body_is_the_exact_bytes_wise_signed(hooks: Hooks, database_url: str) -> None:
    body = json.dumps({"event_type": "x", "data": {"note": "\u00e9\u0000"}}).encode() + b"  \n"
    assert hooks.post(body).status_code == 200
    [row] = query(database_url, "SELECT body FROM wise_webhook_event")
    assert bytes(row["body"]) == body


def test_retention_of_receipts_keeps_deduplication_for_wise_retry_window(
    hooks: Hooks, database_url: str, clock: FrozenClock
) -> None:
    """Wise retries for two weeks; a stored delivery must still deduplicate after 13 days."""
    body = transfer_body(4, "processing", "2030-01-01T10:00:00Z")
    assert hooks.post(body).status_code == 200
    hooks.settle()
    clock.advance(timedelta(days=13).total_seconds())
    hooks.settle()
    assert hooks.post(body).json()["duplicate"] is True


def test_the_worker_logs_an_event_under_the_request_id_of_its_delivery(
    hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    body = transfer_body(12, "processing", "2030-01-01T10:00:00Z")
    answer = hooks.post(body, **{"X-Request-Id": "wise-delivery-77"})
    assert answer.headers["X-Request-Id"] == "wise-delivery-77"
    with caplog.at_level(logging.INFO, logger="backend"):
        hooks.settle()
    applied = next(r for r in caplog.records if "transfers#state-change: applied" in r.getMessage())
    assert applied.request_id == "wise-delivery-77"  # type: ignore[attr-defined]
    # The id is not left behind for the next item.
    assert all(getattr(r, "request_id", None) in (None, "wise-delivery-77") for r in caplog.records)


@ON_BOTH_DATABASES
def test_a_second_worker_claims_only_what_the_first_did_not_oldest_first(
    hooks: Hooks, db_url: str
) -> None:
    for transfer_id in range(1, 8):
        assert hooks.post(transfer_body(transfer_id, "processing", "2030-01-01T10:00:00Z")).ok
    runtime = runtime_of(hooks.stack.kit_app)
    with runtime.job() as first, runtime.job() as second:
        mine = queue.claim_due(ctx=first, owner=new_owner(), limit=3)
        theirs = queue.claim_due(ctx=second, owner=new_owner(), limit=10)
    ids = [e["id"] for e in events(db_url)]
    assert [row.id for row in mine] == ids[:3]
    assert [row.id for row in theirs] == ids[3:]
    # Claiming counts an attempt; nothing is applied until the holder applies it.
    assert {(e["status"], e["attempts"]) for e in events(db_url)} == {("pending", 1)}


@ON_BOTH_DATABASES
def test_a_worker_told_to_stop_mid_batch_hands_back_what_it_did_not_start(
    hooks: Hooks, db_url: str
) -> None:
    for transfer_id in range(1, 6):
        assert hooks.post(transfer_body(transfer_id, "processing", "2030-01-01T10:00:00Z")).ok
    asked = iter([True, True, False])
    runtime = runtime_of(hooks.stack.kit_app)
    with runtime.job() as ctx:
        report = queue.process_pending(ctx=ctx, keep_going=lambda: next(asked, False))
    assert report.processed == 1
    first, *rest = events(db_url)
    assert (first["status"], first["outcome"], first["attempts"]) == ("done", "applied", 1)
    # The other four are free at once (no lease to wait out) and their attempt is undone.
    leases = query(db_url, "SELECT lease_owner, lease_until FROM wise_webhook_event WHERE id > :id",
                   id=first["id"])  # fmt: skip
    assert leases == [{"lease_owner": None, "lease_until": None}] * 4
    assert [(e["status"], e["attempts"]) for e in rest] == [("pending", 0)] * 4
    hooks.settle()
    assert len(transfers(db_url)) == 5
    assert {e["outcome"] for e in events(db_url)} == {"applied"}
