"""Partner notifications: every link status change POSTed, signed, retried, never lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, text

from backend import create_app
from backend.cli import main
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.retries import backoff_ceiling
from backend.services import notifications
from sample_app.demo import Stack
from tests.lifecycle.conftest import ON_BOTH_DATABASES, PARTNER_SECRET, Hooks, stack_with
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    LifecycleApi,
    PartnerReceiver,
    Signer,
    instance_config,
    link_customer,
    query,
    settled,
    verification_body,
)
from tests.support.waiting import wait_until

SECRET = PARTNER_SECRET


DOCS = Path(__file__).resolve().parents[2] / "docs" / "link-lifecycle.md"


def documented_verifier() -> Callable[..., bool]:
    """The partner-side check from docs/link-lifecycle.md, run as written there."""
    text = DOCS.read_text()
    section = text[text.index("**Verifying the signature.**") :]
    start = section.index("```python\n") + len("```python\n")
    code = section[start : section.index("\n```", start)]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102  (our own documentation)
    verifier: Callable[..., bool] = namespace["verify_onboarding_signature"]
    return verifier


verify_onboarding_signature = documented_verifier()


def outbox(database_url: str) -> list[dict[str, Any]]:
    """The link notifications in the outbox (session outcomes are tested on their own)."""
    return query(
        database_url,
        "SELECT * FROM partner_notification WHERE event_type LIKE 'link.%' ORDER BY id",
    )


def link_events(receiver: PartnerReceiver) -> list[dict[str, Any]]:
    """The link notifications the partner accepted, in arrival order."""
    return [e for e in receiver.events() if e["type"].startswith("link.")]


def instance(stack: Stack, database_url: str, clock: FrozenClock) -> Flask:
    """Another kit instance next to the stack's kit, on the test's clock."""
    url = runtime_of(stack.kit_app).settings.partner_webhook_url
    config = instance_config(
        stack,
        database_url,
        ONBOARDING_PARTNER_WEBHOOK_URL=url,
        ONBOARDING_PARTNER_WEBHOOK_SECRET=SECRET,
    )
    return create_app({**config, "CLOCK": clock})


def deliver_with(app: Flask) -> str:
    """Run what ``onboarding-kit notifications deliver`` runs, on ``app``."""
    with runtime_of(app).job() as ctx:
        report = notifications.deliver_due(ctx=ctx)
    return f"delivered {report.delivered}, failed {report.failed}"


def deliver(stack: Stack, database_url: str, clock: FrozenClock) -> str:
    """One delivery run by a fresh instance."""
    app = instance(stack, database_url, clock)
    try:
        return deliver_with(app)
    finally:
        runtime_of(app).engine.dispose()


def test_every_status_change_reaches_the_partner_signed_and_in_order(
    notified: Hooks, receiver: PartnerReceiver, db_url: str, clock: FrozenClock
) -> None:
    hooks = notified
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    hooks.wise.set_verification(linked.profile_id, "verified")
    hooks.wise.flush_webhooks()
    hooks.settle()
    hooks.wise.revoke_user(linked.email)
    clock.advance(ACCESS_TOKEN_SECONDS)
    assert hooks.api.access_token().status_code == 409
    link_customer(hooks.api, hooks.wise, hooks.stack)
    assert hooks.api.unlink().status_code == 204
    expected = [
        "link.linked",
        "link.verified",
        "link.reauthorization_required",
        "link.linked",
        "link.unlinked",
    ]
    hooks.settle()
    events = link_events(receiver)
    assert [e["type"] for e in events] == expected
    assert [e["link"]["status"] for e in events] == [
        "linked",
        "linked",
        "reauthorization_required",
        "linked",
        "not_linked",
    ]
    assert events[1]["link"]["verification_status"] == "verified"
    assert {e["customer_external_id"] for e in events} == {"c-123"}
    assert len({e["id"] for e in events}) == 5
    for record in receiver.received:
        header = record["headers"]["X-Onboarding-Signature"]
        body = record["body"]
        sent_at = int(header.split(",")[0].removeprefix("t="))
        assert verify_onboarding_signature(SECRET, header, body, now=sent_at + 10)
        assert not verify_onboarding_signature(SECRET, header, body + b" ", now=sent_at)
        assert not verify_onboarding_signature("other-secret", header, body, now=sent_at)
        assert not verify_onboarding_signature(SECRET, header, body, now=sent_at + 301)  # stale
        assert record["headers"]["X-Onboarding-Event-Id"] in {e["id"] for e in receiver.events()}
    assert all(row["delivered_at"] is not None for row in outbox(db_url))


@ON_BOTH_DATABASES
def test_a_partner_outage_loses_nothing(
    notified: Hooks,
    receiver: PartnerReceiver,
    db_url: str,
    clock: FrozenClock,
) -> None:
    hooks = notified
    receiver.status = 503
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    hooks.settle()
    assert outbox(db_url)[0]["attempts"] == 1, "the worker tried the first notification"
    hooks.post(verification_body(linked.profile_id, "verified", "2030-01-01T10:00:00Z"))
    hooks.settle()
    assert hooks.api.unlink().status_code == 204
    hooks.settle()
    rows = outbox(db_url)
    # not_verified: the worker asked Wise right after the link.
    assert [r["event_type"] for r in rows] == [
        "link.linked",
        "link.not_verified",
        "link.verified",
        "link.unlinked",
    ]
    # The oldest failed and waits for its backoff; the newer ones wait behind it, in order.
    assert rows[0]["last_status"] == 503
    assert [r["attempts"] for r in rows] == [1, 0, 0, 0]
    assert deliver(hooks.stack, db_url, clock) == "delivered 0, failed 0"
    settings = runtime_of(hooks.stack.kit_app).settings
    clock.advance(backoff_ceiling(settings, 1))
    assert deliver(hooks.stack, db_url, clock) == "delivered 0, failed 1"
    first = outbox(db_url)[0]
    assert first["attempts"] == 2
    # The partner is back.
    receiver.status = 200
    clock.advance(backoff_ceiling(settings, 2))
    # The four link changes, and the session's outcome (session.linked) among them.
    assert deliver(hooks.stack, db_url, clock) == "delivered 5, failed 0"
    assert [e["type"] for e in link_events(receiver)] == [
        "link.linked",
        "link.not_verified",
        "link.verified",
        "link.unlinked",
    ]
    assert [r["attempts"] for r in outbox(db_url)] == [3, 1, 1, 1]


def test_the_deliver_command(
    notified: Hooks,
    receiver: PartnerReceiver,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.status = 503
    link_customer(notified.api, notified.wise, notified.stack)
    notified.settle()
    assert outbox(db_url)[0]["attempts"] == 1
    receiver.status = 200
    env = instance_config(
        notified.stack,
        db_url,
        ONBOARDING_PARTNER_WEBHOOK_URL=receiver.url,
        ONBOARDING_PARTNER_WEBHOOK_SECRET=SECRET,
    )
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    # The command runs on the system clock: within the 30 s backoff nothing is due yet.
    result = CliRunner().invoke(main, ["notifications", "deliver"])
    assert result.exit_code == 0, result.output
    # link.linked, and session.linked and link.not_verified behind it.
    assert result.output.strip() == "delivered 0, failed 0, pending 3"
    engine = create_engine(db_url)
    with engine.begin() as conn:  # the backoff has run out
        conn.execute(text("UPDATE partner_notification SET next_attempt_at = '2000-01-01'"))
    engine.dispose()
    result = CliRunner().invoke(main, ["notifications", "deliver"])
    assert result.output.strip() == "delivered 3, failed 0, pending 0"
    assert [e["type"] for e in link_events(receiver)] == ["link.linked", "link.not_verified"]
    monkeypatch.setenv("ONBOARDING_PARTNER_WEBHOOK_URL", "")
    refused = CliRunner().invoke(main, ["notifications", "deliver"])
    assert refused.exit_code == 1
    assert "ONBOARDING_PARTNER_WEBHOOK_URL" in refused.output


@ON_BOTH_DATABASES
def test_several_deliverers_never_send_a_notification_twice(
    notified: Hooks,
    receiver: PartnerReceiver,
    db_url: str,
    clock: FrozenClock,
) -> None:
    hooks = notified
    receiver.status = 503
    wise = hooks.wise
    for n in range(4):
        email = f"c{n}@example.com"
        wise.create_user(email, date_of_birth="1990-04-01")
        link_customer(hooks.api, wise, hooks.stack, external_id=f"c-{n}", email=email)
    hooks.settle()
    assert outbox(db_url)[0]["attempts"] == 1
    receiver.status = 200
    clock.advance(3600)
    # Apps are built first: building them is not what runs concurrently on real instances.
    apps = [instance(hooks.stack, db_url, clock) for _ in range(4)]
    barrier = threading.Barrier(4)

    def run(index: int) -> str:
        barrier.wait()
        return deliver_with(apps[index])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(run, range(4)))
    for app in apps:
        runtime_of(app).engine.dispose()
    ids = [e["id"] for e in link_events(receiver)]
    assert len(ids) == len(set(ids)) == 8  # linked and not_verified, for each customer
    # Different customers' notifications may go out in parallel, so in any order.
    assert sorted(e["customer_external_id"] for e in link_events(receiver)) == [
        f"c-{n}" for n in range(4) for _ in range(2)
    ]


def test_the_wise_webhook_is_answered_while_the_partner_hangs(
    notified: Hooks, receiver: PartnerReceiver, db_url: str
) -> None:
    """A hanging partner holds neither Wise's answer nor the webhook's effect."""
    hooks = notified
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    hooks.settle()
    assert len(link_events(receiver)) == 2  # linked, then not_verified: Wise was asked
    receiver.hold()
    hooks.wise.set_verification(linked.profile_id, "verified")
    attempts = hooks.wise.flush_webhooks()
    assert [a["status_code"] for a in attempts] == [200]
    assert attempts[0]["succeeded"] is True  # 2xx within Wise's window, partner still held
    assert hooks.stack.worker is not None
    worker = threading.Thread(target=hooks.stack.worker.drain)
    worker.start()
    # The worker applies the event, then hangs delivering its notification to the partner.
    wait_until(
        lambda: hooks.api.link().json()["verification_status"],
        lambda status: status == "verified",
        what="the event to be applied",
    )
    assert len(link_events(receiver)) == 2
    receiver.release()
    worker.join(timeout=30)
    assert [e["type"] for e in link_events(receiver)] == [
        "link.linked",
        "link.not_verified",
        "link.verified",
    ]


def test_nothing_is_queued_without_a_partner_url(stack: Stack, database_url: str) -> None:
    from sample_app.wise_emulator import EmulatorControl

    api, wise = LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url)
    link_customer(api, wise, stack)
    assert api.unlink().status_code == 204
    assert outbox(database_url) == []


def test_a_stalled_partner_is_cut_off_by_wall_clock_and_retried(
    database_url: str, clock: FrozenClock, signer: Signer, receiver: PartnerReceiver
) -> None:
    """The per-read timeout (10 s) alone would keep this call open; the deadline ends it."""
    running = stack_with(
        database_url,
        clock,
        signer,
        ONBOARDING_PARTNER_WEBHOOK_URL=receiver.url,
        ONBOARDING_PARTNER_WEBHOOK_SECRET=SECRET,
        ONBOARDING_PARTNER_WEBHOOK_TIMEOUT_SECONDS="0.5",
    )
    from sample_app.wise_emulator import EmulatorControl

    try:
        receiver.hold()
        link_customer(LifecycleApi(running.kit_url), EmulatorControl(running.emulator_url), running)
        settled(running)
        row = outbox(database_url)[0]
        assert row["last_error"] == "deadline"
        assert row["delivered_at"] is None
        assert row["lease_owner"] is None  # released, so a retry can claim it
    finally:
        receiver.release()
        running.stop()
    receiver.status = 200
    clock.advance(60)
    # The stalled link.linked, then session.linked and link.not_verified behind it.
    assert deliver(running, database_url, clock) == "delivered 3, failed 0"
    # The stalled partner had the whole request and stored it once released, so it now holds
    # it twice: delivery is at least once, and the shared id is what it deduplicates on.
    events = link_events(receiver)
    assert [e["type"] for e in events] == ["link.linked", "link.linked", "link.not_verified"]
    assert events[0]["id"] == events[1]["id"]


def test_a_notification_that_keeps_failing_is_parked_and_holds_nothing_back(
    database_url: str,
    clock: FrozenClock,
    signer: Signer,
    receiver: PartnerReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = stack_with(
        database_url,
        clock,
        signer,
        ONBOARDING_PARTNER_WEBHOOK_URL=receiver.url,
        ONBOARDING_PARTNER_WEBHOOK_SECRET=SECRET,
        ONBOARDING_NOTIFICATION_MAX_ATTEMPTS="2",
    )
    try:
        from sample_app.wise_emulator import EmulatorControl

        api = LifecycleApi(running.kit_url)
        receiver.status = 503
        link_customer(api, EmulatorControl(running.emulator_url), running)
        settings = runtime_of(running.kit_app).settings
        settled(running)
        clock.advance(backoff_ceiling(settings, 1))
        settled(running)
        linked = outbox(database_url)[0]
        assert (linked["status"], linked["attempts"], linked["last_error"]) == (
            "dead",
            2,
            "http_503",
        )
        # Parked, it no longer holds the customer's later notifications back.
        receiver.status = 200
        assert api.unlink().status_code == 204
        settled(running)
        assert [e["type"] for e in link_events(receiver)] == ["link.not_verified", "link.unlinked"]
        for name, value in instance_config(
            running,
            database_url,
            ONBOARDING_PARTNER_WEBHOOK_URL=receiver.url,
            ONBOARDING_PARTNER_WEBHOOK_SECRET=SECRET,
        ).items():
            monkeypatch.setenv(name, str(value))
        listed = CliRunner().invoke(main, ["notifications", "failed"])
        assert listed.exit_code == 0, listed.output
        assert "link.linked  customer c-123  attempts 2  http_503" in listed.output
        retried = CliRunner().invoke(main, ["notifications", "retry", "--all"])
        assert "1 notifications back in the queue" in retried.output
        settled(running)
        assert [e["type"] for e in link_events(receiver)] == [
            "link.not_verified",
            "link.unlinked",
            "link.linked",
        ]
        assert {r["status"] for r in outbox(database_url)} == {"delivered"}
    finally:
        running.stop()
        runtime_of(running.kit_app).engine.dispose()
