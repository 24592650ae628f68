"""The worker process: background work without cron, and a clean stop on SIGTERM or Ctrl+C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.retries import backoff_ceiling
from sample_app.demo import Stack, build_stack
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.lifecycle.conftest import PARTNER_SECRET, Hooks
from tests.lifecycle.helpers import (
    LifecycleApi,
    PartnerReceiver,
    instance_config,
    link_customer,
    query,
)
from tests.support.factories import API_KEY, TEST_RETURN_URLS
from tests.support.waiting import wait_until

KIT = Path(sys.executable).with_name("onboarding-kit")


def outbox(database_url: str) -> list[dict[str, Any]]:
    """The link.linked notification (session.linked, queued behind it, follows it out)."""
    return query(
        database_url,
        "SELECT * FROM partner_notification WHERE event_type = 'link.linked' ORDER BY id",
    )


def linked_events(receiver: PartnerReceiver) -> list[dict[str, Any]]:
    return [e for e in receiver.events() if e["type"] == "link.linked"]


def backoff_over(database_url: str) -> None:
    """Make every pending retry due now (the worker process runs on the system clock)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE partner_notification SET next_attempt_at = '2000-01-01'"))
    engine.dispose()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_the_worker_retries_until_the_partner_recovers_and_stops_cleanly(
    notified: Hooks,
    receiver: PartnerReceiver,
    database_url: str,
    tmp_path: Path,
    stop_signal: signal.Signals,
) -> None:
    receiver.status = 503
    link_customer(notified.api, notified.wise, notified.stack)
    notified.settle()
    assert outbox(database_url)[0]["attempts"] == 1
    config = instance_config(
        notified.stack,
        database_url,
        ONBOARDING_PARTNER_WEBHOOK_URL=receiver.url,
        ONBOARDING_PARTNER_WEBHOOK_SECRET=PARTNER_SECRET,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env.update({name: str(value) for name, value in config.items()})
    log = (tmp_path / "worker.log").open("w+")
    process = subprocess.Popen(
        [str(KIT), "worker", "--poll-seconds", "0.1"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # The partner is still down: the worker's retry fails and is scheduled again.
        backoff_over(database_url)
        [row] = wait_until(
            lambda: outbox(database_url),
            # Attempts are counted when a row is claimed; the lease goes once the try is recorded.
            lambda rows: rows[0]["attempts"] == 2 and rows[0]["lease_owner"] is None,
            timeout=30,
            what="the worker's retry to be recorded",
        )
        assert row["last_status"] == 503
        assert row["delivered_at"] is None
        # The partner is back; once the backoff is over the worker delivers, no cron involved.
        receiver.status = 200
        backoff_over(database_url)
        wait_until(lambda: len(linked_events(receiver)), lambda n: n == 1, what="the delivery")
        assert process.poll() is None  # still running
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log.seek(0)
    output = log.read()
    log.close()
    assert "worker running (polling every 0.1 s)" in output
    assert output.rstrip().endswith("worker stopped")
    assert "Traceback" not in output
    [row] = outbox(database_url)
    assert row["attempts"] == 3
    assert row["delivered_at"] is not None
    assert len(linked_events(receiver)) == 1


def test_the_worker_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env["ONBOARDING_DATABASE_URL"] = f"sqlite:///{tmp_path}/fresh.db"
    result = subprocess.run(
        [str(KIT), "worker"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: database not migrated: run `onboarding-kit db upgrade`"
    assert not (tmp_path / "fresh.db").exists(), "checking must not create the database"


def test_the_demo_stack_retries_notifications_without_cron(
    database_url: str, clock: FrozenClock, receiver: PartnerReceiver
) -> None:
    receiver.status = 503
    stack: Stack = build_stack(
        database_url=database_url,
        kit_overrides={
            "CLOCK": clock,
            "ONBOARDING_API_KEYS": API_KEY,
            "ONBOARDING_RETURN_URLS": ",".join(TEST_RETURN_URLS),
            "ONBOARDING_PARTNER_WEBHOOK_URL": receiver.url,
            "ONBOARDING_PARTNER_WEBHOOK_SECRET": PARTNER_SECRET,
        },
        emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
        worker_poll_seconds=0.05,
    )
    try:
        assert stack.worker_thread is not None
        assert stack.worker_thread.is_alive()
        link_customer(LifecycleApi(stack.kit_url), EmulatorControl(stack.emulator_url), stack)
        wait_until(lambda: outbox(database_url)[0]["attempts"], lambda n: n >= 1, what="a try")
        receiver.status = 200
        # Nothing but time passing: the loop retries once the backoff is over.
        clock.advance(backoff_ceiling(runtime_of(stack.kit_app).settings, 1))
        wait_until(
            lambda: len(linked_events(receiver)), lambda n: n == 1, what="the retried delivery"
        )
        # The partner answers before the loop records the delivery: wait for the record.
        wait_until(
            lambda: outbox(database_url)[0]["delivered_at"],
            lambda at: at is not None,
            what="the delivery to be recorded",
        )
    finally:
        stack.stop()
    assert not stack.worker_thread.is_alive()
