"""``onboarding-kit webhooks subscribe|list|delete``: application subscriptions at Wise."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner, Result

from backend.cli import main
from sample_app.demo import Stack
from sample_app.serving import free_port
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.helpers import app_token, instance_config, query

EVENTS = {
    "profiles#verification-state-change",
    "transfers#state-change",
    "users#state-change",
    "kyc-reviews#state-change",
}


def run(stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    for name, value in instance_config(stack, database_url).items():
        monkeypatch.setenv(name, str(value))
    return CliRunner().invoke(main, ["webhooks", *args])


def listed(stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    result = run(stack, database_url, monkeypatch, "list")
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()]


def test_the_demo_stack_subscribes_the_kit_for_every_event(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = listed(stack, database_url, monkeypatch)
    assert {row[1] for row in rows} == EVENTS
    assert {row[2] for row in rows} == {f"{stack.kit_url}/webhooks/wise"}
    counters = stack.emulator_app.extensions["wise_emulator"].store.counters
    assert counters["token_requests"]["client_credentials"] >= 1


def test_subscribe_is_idempotent_and_delete_removes(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://kit.bank.test/webhooks/wise"
    first = run(stack, database_url, monkeypatch, "subscribe", "--url", url)
    assert first.exit_code == 0, first.output
    created = [line.split() for line in first.output.splitlines()]
    assert {row[1] for row in created} == EVENTS
    again = run(stack, database_url, monkeypatch, "subscribe", "--url", url)
    assert sorted(again.output.splitlines()) == sorted(first.output.splitlines())
    assert len(listed(stack, database_url, monkeypatch)) == 2 * len(EVENTS)
    deleted = run(stack, database_url, monkeypatch, "delete", created[0][0])
    assert deleted.exit_code == 0
    assert deleted.output.strip() == f"deleted {created[0][0]}"
    assert created[0][0] not in {row[0] for row in listed(stack, database_url, monkeypatch)}
    missing = run(stack, database_url, monkeypatch, "delete", created[0][0])
    assert missing.exit_code == 1
    assert "Wise refused" in missing.output


def test_subscribing_needs_the_client_key(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONBOARDING_WISE_CLIENT_KEY", "")
    for name, value in instance_config(stack, database_url).items():
        if name != "ONBOARDING_WISE_CLIENT_KEY":
            monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["webhooks", "subscribe", "--url", "https://x.test/w"])
    assert result.exit_code == 1
    assert "ONBOARDING_WISE_CLIENT_KEY" in result.output


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://kit.bank.test/webhooks/wise", "https://"),
        ("https://kit.bank.test:8443/webhooks/wise", "port 8443"),
        ("https://203.0.113.7/webhooks/wise", "IP address"),
        ("https://localhost/webhooks/wise", "not a public domain name"),
        ("https://kit.bank.test/webhooks/wise?type=all", "query string"),
    ],
)
def test_subscribe_refuses_a_url_wise_would_refuse(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch, url: str, reason: str
) -> None:
    before = stack.emulator_app.extensions["wise_emulator"].store.counters["paths"].copy()
    result = run(stack, database_url, monkeypatch, "subscribe", "--url", url)
    assert result.exit_code == 1
    assert "Wise would refuse" in result.output
    assert reason in result.output
    # Nothing was asked of Wise.
    after = stack.emulator_app.extensions["wise_emulator"].store.counters["paths"]
    assert after == before


def kit_subscription(stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    rows = listed(stack, database_url, monkeypatch)
    return next(row[0] for row in rows if row[2] == f"{stack.kit_url}/webhooks/wise")


def test_webhooks_test_reports_a_notification_the_kit_received_and_verified(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    EmulatorControl(stack.emulator_url).update_settings(deliver_webhooks_automatically=True)
    subscription_id = kit_subscription(stack, database_url, monkeypatch)
    result = run(stack, database_url, monkeypatch, "test", subscription_id, "--timeout", "30")
    assert result.exit_code == 0, result.output
    assert "Wise queued a test notification" in result.output
    assert "received and verified" in result.output
    [stored] = query(database_url, "SELECT * FROM wise_webhook_event WHERE test")
    assert stored["subscription_id"] == subscription_id
    assert stored["outcome"] == "test_notification"


def test_webhooks_test_fails_when_nothing_arrives(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wise = EmulatorControl(stack.emulator_url)
    wise.update_settings(deliver_webhooks_automatically=True)
    # A subscription whose URL nothing listens on: Wise cannot deliver the test.
    token = app_token(stack)
    created = requests.post(
        f"{stack.emulator_url}/v3/applications/acme-bank-demo-key/subscriptions",
        json={
            "name": "elsewhere",
            "trigger_on": "transfers#state-change",
            "delivery": {"version": "2.0.0", "url": f"http://127.0.0.1:{free_port()}/hook"},
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    result = run(stack, database_url, monkeypatch, "test", created["id"], "--timeout", "2")
    assert result.exit_code == 1
    assert "no verified test notification arrived within 2 s" in result.output
    assert query(database_url, "SELECT id FROM wise_webhook_event WHERE test") == []
