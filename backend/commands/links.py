"""``onboarding-kit refresh-tokens`` and ``onboarding-kit rotate-keys``: link token housekeeping."""

from __future__ import annotations

import click

from backend.commands import command_runtime
from backend.services import keys, tokens


@click.command("refresh-tokens")
def refresh_tokens() -> None:
    """Refresh access tokens due within the margin (safe to run on every instance at once)."""
    with command_runtime() as runtime, runtime.job() as ctx:
        counts = tokens.refresh_due(ctx=ctx)
    click.echo(", ".join(f"{name} {count}" for name, count in counts.items()))
    if counts["failed"]:
        raise SystemExit(1)


@click.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every stored secret with the first key of ONBOARDING_TOKEN_ENCRYPTION_KEYS."""
    with command_runtime() as runtime, runtime.job() as ctx:
        report = keys.rotate_keys(ctx=ctx)
    rows = ", ".join(f"{table} {count}" for table, count in report.rotated.items())
    click.echo(f"re-encrypted {report.total} row(s) with the first key ({rows})")
    if report.unreadable:
        tables = ", ".join(f"{table} {count}" for table, count in report.unreadable.items())
        # Keep every old key until these are explained: removing one now would lose data.
        raise click.ClickException(
            f"no configured key opens {tables} row(s); keep the old keys in "
            "ONBOARDING_TOKEN_ENCRYPTION_KEYS"
        )
