"""``onboarding-kit webhooks subscribe|list|delete``: application subscriptions at Wise."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from backend.cli import main
from sample_app.demo import Stack
from tests.lifecycle.helpers import instance_config

EVENTS = {"profiles#verification-state-change", "transfers#state-change"}


def run(stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    for name, value in instance_config(stack, database_url).items():
        monkeypatch.setenv(name, str(value))
    return CliRunner().invoke(main, ["webhooks", *args])


def listed(stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    result = run(stack, database_url, monkeypatch, "list")
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()]


def test_the_demo_stack_subscribes_the_kit_for_both_events(
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
    assert len(listed(stack, database_url, monkeypatch)) == 4
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
