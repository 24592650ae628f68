"""``onboarding-kit``: every sub-command is reachable, and the housekeeping ones work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from backend.cli import LAZY_COMMANDS, main
from backend.clock import FrozenClock
from tests.support.factories import session_body


def test_every_sub_command_loads_and_has_help() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["--help"])
    assert listed.exit_code == 0
    for name in LAZY_COMMANDS:
        assert name in listed.output
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_help_describes_every_option_as_it_is_spelled() -> None:
    runner = CliRunner()
    upgrade = runner.invoke(main, ["db", "upgrade", "--help"]).output
    # The revision is an option: the help must not describe a positional REVISION argument.
    assert "--revision TEXT" in upgrade
    assert "REVISION" not in upgrade.replace("--revision", "")
    serve = runner.invoke(main, ["serve", "--help"]).output
    for option in ("--host", "--port", "--workers", "--threads"):
        line = next(line for line in serve.splitlines() if line.strip().startswith(option))
        # Click prints the help text on the option's line, after the metavar (TEXT, INTEGER).
        after_metavar = line.split(option, 1)[1].split(maxsplit=1)[1]
        described = re.sub(r"\[default:[^\]]*\]?", "", after_metavar).strip()
        assert len(described) > 10, (option, line)


def test_db_upgrade_then_status(tmp_path: Path) -> None:
    env = {"ONBOARDING_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    runner = CliRunner()
    before = runner.invoke(main, ["db", "status"], env=env)
    assert before.exit_code == 1
    assert "migrations_pending" in before.output
    upgraded = runner.invoke(main, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    after = runner.invoke(main, ["db", "status"], env=env)
    assert after.exit_code == 0
    assert after.output.strip() == "ok"


def test_sessions_sweep_expires_stale_sessions(
    client: Any,
    api_headers: dict[str, str],
    config: dict[str, Any],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = client.post(
        "/api/v1/onboarding-sessions", json=session_body(ttl_seconds=60), headers=api_headers
    ).json
    # The command runs with the real clock: make the session's expiry lie in the past for it.
    import sqlalchemy as sa

    engine = sa.create_engine(config["ONBOARDING_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE onboarding_session SET expires_at = '2000-01-01 00:00:00'"))
    engine.dispose()
    for name, value in config.items():
        if name.startswith("ONBOARDING_"):
            monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["sessions", "sweep"])
    assert result.exit_code == 0, result.output
    assert "settled 1 session(s)" in result.output
    read = client.get(f"/api/v1/onboarding-sessions/{created['id']}", headers=api_headers)
    assert read.json["status"] == "expired"
    assert "settled 0 session(s)" in CliRunner().invoke(main, ["sessions", "sweep"]).output


def _kit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the console entry point in a fresh process (an env file changes os.environ)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    return subprocess.run(
        [sys.executable, "-c", "from backend.cli import main; main()", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_env_file_supplies_settings_and_the_environment_wins(tmp_path: Path) -> None:
    from_file = tmp_path / "from-file.db"
    from_env = tmp_path / "from-env.db"
    env_file = tmp_path / "kit.env"
    env_file.write_text(
        "# comments and blank NAME= lines are fine, as in .env.example\n"
        f'ONBOARDING_DATABASE_URL="sqlite:///{from_file}"\n'
        "ONBOARDING_WISE_REDIRECT_URI=\n"
    )
    upgraded = _kit("--env-file", str(env_file), "db", "upgrade", env={})
    assert upgraded.returncode == 0, upgraded.stderr
    assert from_file.exists()

    overridden = _kit(
        "--env-file",
        str(env_file),
        "db",
        "upgrade",
        env={"ONBOARDING_DATABASE_URL": f"sqlite:///{from_env}"},
    )
    assert overridden.returncode == 0, overridden.stderr
    assert from_env.exists()


def test_a_missing_env_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--env-file", str(tmp_path / "nope.env"), "db", "status"])
    assert result.exit_code == 2
    assert "nope.env" in result.output
