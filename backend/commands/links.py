"""``onboarding-kit refresh-tokens`` and ``onboarding-kit rotate-keys``: link token housekeeping."""

from __future__ import annotations

import click

from backend import extensions
from backend.app import create_app
from backend.db import get_session
from backend.services import keys, tokens


@click.command("refresh-tokens")
def refresh_tokens() -> None:
    """Refresh access tokens due within the margin (safe to run on every instance at once)."""
    app = create_app()
    with app.app_context():
        broker = tokens.Broker.current()
        counts = tokens.refresh_due(broker=broker)
    click.echo(", ".join(f"{name} {count}" for name, count in counts.items()))
    if counts["failed"]:
        raise SystemExit(1)


@click.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every stored secret with the first key of ONBOARDING_TOKEN_ENCRYPTION_KEYS."""
    app = create_app()
    with app.app_context():
        report = keys.rotate_keys(db=get_session(), cipher=extensions.cipher())
    rows = ", ".join(f"{table} {count}" for table, count in report.rotated.items())
    click.echo(f"re-encrypted {report.total} row(s) with the first key ({rows})")
    if report.unreadable:
        tables = ", ".join(f"{table} {count}" for table, count in report.unreadable.items())
        # Keep every old key until these are explained: removing one now would lose data.
        raise click.ClickException(
            f"no configured key opens {tables} row(s); keep the old keys in "
            "ONBOARDING_TOKEN_ENCRYPTION_KEYS"
        )
