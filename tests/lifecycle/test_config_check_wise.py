"""``onboarding-kit config check --wise``: the README's last sandbox step, against the emulator.

The check asks Wise (here the emulator, over HTTP) and the database; these tests break one part
of the set-up at a time and expect the one line that says how to fix it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from backend.cli import main
from sample_app.demo import Stack
from sample_app.serving import free_port
from tests.lifecycle.helpers import instance_config

PUBLIC = "https://kit.bank.test"
WEBHOOK_URL = f"{PUBLIC}/webhooks/wise"


def run(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch, *args: str, **overrides: str
) -> Result:
    settings = instance_config(
        stack, database_url, **{"ONBOARDING_PUBLIC_BASE_URL": PUBLIC, **overrides}
    )
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))
    return CliRunner().invoke(main, list(args))


def check_wise(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch, **overrides: str
) -> Result:
    """``onboarding-kit config check --wise`` with the stack's settings and ``overrides``."""
    return run(stack, database_url, monkeypatch, "config", "check", "--wise", **overrides)


def finding(result: Result, name: str) -> str:
    """The line the check printed for ``name``."""
    return next(line for line in result.output.splitlines() if f" {name}: " in line).strip()


def test_a_complete_set_up_passes_every_check(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribed = run(
        stack, database_url, monkeypatch, "webhooks", "subscribe", "--url", WEBHOOK_URL
    )
    assert subscribed.exit_code == 0, subscribed.output
    result = check_wise(stack, database_url, monkeypatch)
    assert result.exit_code == 0, result.output
    for name in ("database", "webhook URL", "client credentials", "webhook subscriptions"):
        assert finding(result, name).startswith("OK"), result.output
    assert f"register exactly {PUBLIC}/oauth/wise/callback" in result.output
    assert "Wise set-up OK" in result.output
    # Secrets are masked in the settings listing and never printed by the checks.
    assert stack.secrets.api_key not in result.output
    assert "ONBOARDING_WISE_CLIENT_SECRET" in result.output


def test_missing_subscriptions_name_the_command_that_adds_them(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stack subscribed its own loopback URL, not the public one this deployment uses.
    result = check_wise(stack, database_url, monkeypatch)
    assert result.exit_code == 1
    line = finding(result, "webhook subscriptions")
    assert line.startswith("FAIL")
    assert f"onboarding-kit webhooks subscribe --url {WEBHOOK_URL}" in line
    assert finding(result, "client credentials").startswith("OK")


def test_refused_credentials_name_the_settings(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = check_wise(
        stack,
        database_url,
        monkeypatch,
        ONBOARDING_WISE_CLIENT_SECRET="not-the-secret-Zq8fV2xLm9pT4wR7yB1nC6dH3",
    )
    assert result.exit_code == 1
    line = finding(result, "client credentials")
    assert line.startswith("FAIL")
    assert "ONBOARDING_WISE_CLIENT_ID and ONBOARDING_WISE_CLIENT_SECRET" in line
    assert "not-the-secret" not in result.output
    # Every check still ran: the subscriptions one says why it could not.
    assert "no application token" in finding(result, "webhook subscriptions")


def test_an_unreachable_api_url_and_an_http_base_url_are_reported_together(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = check_wise(
        stack,
        database_url,
        monkeypatch,
        ONBOARDING_WISE_API_URL=nowhere,
        ONBOARDING_PUBLIC_BASE_URL="http://localhost:5000",
    )
    assert result.exit_code == 1
    assert "could not reach Wise at ONBOARDING_WISE_API_URL" in finding(
        result, "client credentials"
    )
    webhook = finding(result, "webhook URL")
    assert webhook.startswith("FAIL")
    assert "https" in webhook
    assert "ONBOARDING_PUBLIC_BASE_URL" in webhook


def test_an_unmigrated_database_is_reported(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = check_wise(stack, f"sqlite:///{tmp_path}/empty.db", monkeypatch)
    assert result.exit_code == 1
    assert "run `onboarding-kit db upgrade`" in finding(result, "database")


def test_invalid_settings_stop_before_asking_wise(
    stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = check_wise(
        stack,
        database_url,
        monkeypatch,
        ONBOARDING_RETURN_URLS="not a url",
    )
    assert result.exit_code == 1
    assert "fix the settings first" in result.output
    assert "client credentials" not in result.output
