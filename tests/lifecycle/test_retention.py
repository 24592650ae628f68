"""Retention: the worker purges old rows after the configured periods and keeps the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.services import retention
from backend.settings import SettingsError, load_settings
from tests.lifecycle.conftest import PARTNER_SECRET, Hooks
from tests.lifecycle.helpers import (
    PartnerReceiver,
    instance_config,
    link_customer,
    query,
    transfer_body,
)

DAY = timedelta(days=1).total_seconds()


def count(database_url: str, table: str, where: str = "1 = 1") -> int:
    return len(query(database_url, f"SELECT 1 FROM {table} WHERE {where}"))


def purge(hooks: Hooks) -> dict[str, Any]:
    with runtime_of(hooks.stack.kit_app).job() as ctx:
        return retention.purge(ctx=ctx)


def test_old_rows_go_and_the_audit_trail_stays(
    notified: Hooks, receiver: PartnerReceiver, database_url: str, clock: FrozenClock
) -> None:
    hooks = notified
    link_customer(hooks.api, hooks.wise, hooks.stack)  # a linked session, notifications
    expired = hooks.api.create_session(customer__external_id="c-9")  # will expire unused
    assert hooks.post(transfer_body(1, "processing", "2030-01-01T10:00:00Z")).status_code == 200
    assert hooks.post(b"signed but unreadable").status_code == 200  # parked: kept
    hooks.settle()
    assert count(database_url, "wise_webhook_event") == 2
    # Linking tells the partner three things: the link, the session's outcome, the verification.
    delivered_on_day_0 = count(database_url, "partner_notification", "status = 'delivered'")
    assert delivered_on_day_0 == 3

    clock.advance(29 * DAY)
    hooks.settle()  # the sweep expires the unused session now
    assert purge(hooks)["webhook_events"] == 0  # 29 days: still inside every period
    clock.advance(2 * DAY)
    deleted = purge(hooks)
    assert deleted["webhook_events"] == 1
    assert deleted["notifications"] == delivered_on_day_0  # not the day-29 "session.expired"
    assert deleted["sessions"] == 0  # sessions are kept 90 days
    assert count(database_url, "wise_webhook_event", "status = 'dead'") == 1
    clock.advance(60 * DAY)  # 91 days after the linked session finished
    assert purge(hooks)["sessions"] == 1
    clock.advance(29 * DAY)  # 91 days after the unused one expired (the sweep, on day 29)
    assert purge(hooks)["sessions"] == 1
    assert count(database_url, "onboarding_session") == 0
    assert (
        hooks.api.http.get(
            f"{hooks.api.base_url}/api/v1/onboarding-sessions/{expired['id']}", timeout=10
        ).status_code
        == 404
    )
    # What is never purged: the link, its tokens, the audit trail, parked events.
    assert count(database_url, "wise_link") == 1
    assert count(database_url, "wise_link_event") >= 1
    assert count(database_url, "wise_webhook_event", "status = 'dead'") == 1
    assert hooks.api.access_token().status_code == 200


def test_the_purge_command_and_the_worker_job(
    notified: Hooks, database_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = notified
    assert hooks.post(transfer_body(2, "processing", "2030-01-01T10:00:00Z")).status_code == 200
    hooks.settle()
    clock.advance(31 * DAY)
    assert hooks.stack.worker is not None
    hooks.stack.worker.run_once()  # the worker runs the purge among its jobs
    assert count(database_url, "wise_webhook_event") == 0
    for name, value in instance_config(
        hooks.stack,
        database_url,
        ONBOARDING_PARTNER_WEBHOOK_URL="https://partner.test/hook",
        ONBOARDING_PARTNER_WEBHOOK_SECRET=PARTNER_SECRET,
    ).items():
        monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["purge"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deleted webhook_events 0, notifications 0, sessions 0")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # Wise retries a webhook for two weeks: the receipt must be kept longer to deduplicate.
        ("ONBOARDING_RETENTION_WEBHOOK_DAYS", "14"),
        ("ONBOARDING_RETENTION_SESSION_DAYS", "0"),
        ("ONBOARDING_RETENTION_NOTIFICATION_DAYS", "forever"),
    ],
)
def test_retention_periods_are_validated(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})
