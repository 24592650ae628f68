"""``POST /webhooks/wise``: store first, deduplicate, apply once, answer 200 (or 503 / 413).

Deliveries come from the Wise emulator (signed with its key pair, retried on failure) or are
signed by the test with the same key, to script duplicates and disorder precisely.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, create_engine, text

from backend import create_app
from backend.clock import FrozenClock
from tests.lifecycle.conftest import Hooks
from tests.lifecycle.helpers import (
    Signer,
    app_token,
    envelope,
    link_customer,
    query,
    verification_body,
)
from tests.support.kit import TIMEOUT
from tests.support.waiting import wait_until


def stored(hooks: Hooks, database_url: str) -> list[dict[str, Any]]:
    return query(
        database_url,
        "SELECT delivery_id, event_type, test, status, outcome, attempts, last_error "
        "FROM wise_webhook_event",
    )


def link_events(database_url: str) -> list[str]:
    return [r["event"] for r in query(database_url, "SELECT event FROM wise_link_event")]


def test_the_emulators_verification_webhook_sets_the_status(
    hooks: Hooks, database_url: str
) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    hooks.wise.set_verification(linked.profile_id, "verified")
    attempts = hooks.wise.flush_webhooks()
    assert [a["status_code"] for a in attempts] == [200]
    hooks.settle()
    assert hooks.api.link().json()["verification_status"] == "verified"
    hooks.wise.advance_clock(1)  # Wise's occurred_at has whole seconds
    hooks.wise.set_verification(linked.profile_id, "not_verified")
    hooks.wise.flush_webhooks()
    hooks.settle()
    assert hooks.api.link().json()["verification_status"] == "not_verified"


def test_one_event_delivered_three_times_has_one_effect(hooks: Hooks, database_url: str) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    body = verification_body(linked.profile_id, "verified", "2030-01-01T10:00:00Z")
    answers = [hooks.post(body, delivery_id=f"retry-{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    hooks.settle()
    assert [r["delivery_id"] for r in stored(hooks, database_url)] == ["retry-0"]
    assert hooks.api.link().json()["verification_status"] == "verified"
    assert link_events(database_url).count("verification_changed") == 1


def test_a_repeated_delivery_id_is_a_duplicate(hooks: Hooks, database_url: str) -> None:
    first = verification_body(1, "verified", "2030-01-01T10:00:00Z")
    second = verification_body(2, "verified", "2030-01-01T10:00:00Z")
    assert hooks.post(first, delivery_id="same-id").json()["duplicate"] is False
    assert hooks.post(second, delivery_id="same-id").json()["duplicate"] is True
    assert len(stored(hooks, database_url)) == 1


def test_the_same_event_through_two_subscriptions_has_one_effect(
    hooks: Hooks, database_url: str
) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    created = requests.post(
        f"{hooks.stack.emulator_url}/v3/applications/acme-bank-demo-key/subscriptions",
        json={
            "name": "second subscription",
            "trigger_on": "profiles#verification-state-change",
            "delivery": {"version": "2.0.0", "url": f"{hooks.stack.kit_url}/webhooks/wise"},
        },
        headers={"Authorization": f"Bearer {app_token(hooks.stack)}"},
        timeout=TIMEOUT,
    )
    assert created.status_code == 200, created.text
    hooks.wise.set_verification(linked.profile_id, "verified")
    attempts = hooks.wise.flush_webhooks()
    assert [a["status_code"] for a in attempts] == [200, 200]
    assert len({a["subscription_id"] for a in attempts}) == 2
    hooks.settle()
    assert sorted(r["outcome"] for r in stored(hooks, database_url)) == [
        "applied",
        "duplicate_event",
    ]
    assert link_events(database_url).count("verification_changed") == 1
    assert hooks.api.link().json()["verification_status"] == "verified"


def test_an_older_verification_event_never_moves_the_status_back(
    hooks: Hooks, database_url: str
) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    hooks.post(verification_body(linked.profile_id, "verified", "2030-01-01T10:00:05Z"))
    late = hooks.post(verification_body(linked.profile_id, "not_verified", "2030-01-01T10:00:00Z"))
    assert late.status_code == 200
    hooks.settle()
    assert hooks.api.link().json()["verification_status"] == "verified"


def test_a_test_notification_is_answered_with_no_effect(hooks: Hooks, database_url: str) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    body = verification_body(linked.profile_id, "verified", "2030-01-01T10:00:00Z")
    response = hooks.post(body, **{"X-Test-Notification": "true"})
    assert response.status_code == 200
    assert hooks.api.link().json()["verification_status"] == "unknown"
    # And the emulator's own test notification for the kit's subscription.
    token = app_token(hooks.stack)
    listed = requests.get(
        f"{hooks.stack.emulator_url}/v3/applications/acme-bank-demo-key/subscriptions",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    ).json()
    for subscription in listed:
        sent = requests.post(
            f"{hooks.stack.emulator_url}/v3/applications/acme-bank-demo-key/subscriptions/"
            f"{subscription['id']}/test-notifications",
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        assert sent.status_code == 200
    assert [a["status_code"] for a in hooks.wise.flush_webhooks()] == [200] * len(listed)
    rows = stored(hooks, database_url)
    assert len(rows) == 1 + len(listed)
    assert {(bool(r["test"]), r["outcome"]) for r in rows} == {(True, "test_notification")}
    assert hooks.api.link().json()["verification_status"] == "unknown"
    assert query(database_url, "SELECT * FROM wise_transfer_status") == []


@pytest.mark.parametrize(
    ("body", "status", "outcome"),
    [
        (envelope("balances#credit", {"resource": {"id": 1}}), "done", "unsupported_event"),
        (
            envelope(
                "profiles#verification-state-change",
                {"resource": {"type": "profile", "id": 1}, "current_state": "verified"},
                schema_version="3.0.0",
            ),
            "dead",
            "unsupported_schema",
        ),
        (b"not json, but signed", "dead", "unreadable"),
        (b"[1, 2, 3]", "dead", "unreadable"),
        (
            envelope("transfers#state-change", {"resource": {"type": "profile"}}),
            "dead",
            "invalid_data",
        ),
        (verification_body(1, "maybe", "2030-01-01T10:00:00Z"), "dead", "invalid_data"),
        (verification_body(1, "verified", "yesterday"), "dead", "invalid_data"),
    ],
)
def test_unknown_or_unusable_events_are_stored_and_answered_200(
    hooks: Hooks, database_url: str, body: bytes, status: str, outcome: str
) -> None:
    """An event type the kit does not handle is done with; one it cannot use is parked."""
    response = hooks.post(body)
    assert response.status_code == 200
    hooks.settle()
    (row,) = stored(hooks, database_url)
    assert (row["status"], row["outcome"]) == (status, outcome)
    if status == "dead":
        assert row["last_error"].startswith(f"{outcome}:")
        assert row["attempts"] == 1, "parked at once: retrying cannot make it readable"


def test_oversized_bodies_and_other_methods_are_refused(hooks: Hooks, database_url: str) -> None:
    big = envelope("transfers#state-change", {"padding": "x" * 40_000})
    response = hooks.post(big)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    huge = envelope("transfers#state-change", {"padding": "x" * 100_000})
    assert hooks.post(huge).status_code == 413
    assert stored(hooks, database_url) == []
    url = f"{hooks.stack.kit_url}/webhooks/wise"
    for method in ("GET", "PUT", "DELETE"):
        answer = requests.request(method, url, timeout=TIMEOUT)
        assert answer.status_code == 405
        assert answer.json()["error"] == "method_not_allowed"


@pytest.mark.parametrize("outage", ["missing tables", "server unreachable"])
def test_an_unavailable_database_is_a_503_so_wise_retries(
    config: dict[str, Any], tmp_path: Path, outage: str
) -> None:
    from sample_app.serving import free_port

    signer = Signer()
    database = (
        f"sqlite:///{tmp_path}/missing-tables.db"
        if outage == "missing tables"
        else f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kit"
    )
    app = create_app(
        {
            **config,
            "ONBOARDING_DATABASE_URL": database,
            "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": signer.public_pem,
        }
    )
    body = verification_body(1, "verified", "2030-01-01T10:00:00Z")
    response = app.test_client().post("/webhooks/wise", data=body, headers=signer.headers(body))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json["error"] == "service_unavailable"


def test_the_process_command_applies_what_is_stored(
    hooks: Hooks, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``webhooks process`` does the worker's webhook job once, for scripts."""
    from click.testing import CliRunner

    from backend.cli import main
    from tests.lifecycle.helpers import instance_config

    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    body = verification_body(linked.profile_id, "verified", "2030-01-01T10:00:00Z")
    assert hooks.post(body).status_code == 200
    assert hooks.api.link().json()["verification_status"] == "unknown"  # stored, not applied
    for name, value in instance_config(hooks.stack, database_url).items():
        monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["webhooks", "process"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "processed 1 pending event(s), 0 failed"
    assert hooks.api.link().json()["verification_status"] == "verified"


def test_wise_sees_no_failure_while_the_kit_is_briefly_down(
    hooks: Hooks, database_url: str, clock: FrozenClock
) -> None:
    """A delivery that fails is retried by Wise; the kit stores it once it is back."""
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    kit = hooks.stack.kit
    app = kit.app
    kit.app = None  # the kit's server answers 503 "starting"
    hooks.wise.set_verification(linked.profile_id, "verified")
    assert [a["status_code"] for a in hooks.wise.flush_webhooks()] == [503]
    kit.app = app
    assert [a["status_code"] for a in hooks.wise.flush_webhooks()] == [200]
    hooks.settle()
    assert hooks.api.link().json()["verification_status"] == "verified"


def lock_waiters(engine: Engine) -> int:
    """How many sessions of the test database are waiting for a lock right now."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


@pytest.mark.postgres
def test_webhook_answers_while_processing_is_slow(pg_hooks: Hooks, postgres_url: str) -> None:
    """Applying the event waits for a link row another transaction holds; Wise still gets 200."""
    hooks = pg_hooks
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    body = verification_body(linked.profile_id, "verified", "2030-01-01T10:00:00Z")
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as holder:
            holder.execute(
                text("SELECT id FROM wise_link WHERE customer_external_id = 'c-123' FOR UPDATE")
            )
            answer = requests.post(
                f"{hooks.stack.kit_url}/webhooks/wise",
                data=body,
                headers=hooks.signer.headers(body, str(uuid.uuid4())),
                timeout=5,  # Wise's delivery window
            )
            assert answer.status_code == 200
            assert answer.json() == {"received": True, "duplicate": False}
            # The event is stored; the worker applying it waits for the row until it is free.
            assert hooks.stack.worker is not None
            worker = threading.Thread(target=hooks.stack.worker.drain)
            worker.start()
            wait_until(
                lambda: lock_waiters(engine),
                lambda waiting: waiting >= 1,
                what="the worker to wait for the link row",
            )
            assert hooks.api.link().json()["verification_status"] == "unknown"
            holder.rollback()
            worker.join(timeout=30)
        assert hooks.api.link().json()["verification_status"] == "verified"
    finally:
        engine.dispose()
    (row,) = stored(hooks, postgres_url)
    assert row["outcome"] == "applied"
