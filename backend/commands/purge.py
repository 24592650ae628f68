"""``onboarding-kit purge``: delete rows past their retention period now (the worker: hourly)."""

from __future__ import annotations

import click

from backend.commands import command_runtime
from backend.services import retention


@click.command()
def purge() -> None:
    """Delete stored webhooks, notifications, sessions and more past their retention period."""
    with command_runtime() as runtime, runtime.job() as ctx:
        deleted = retention.purge(ctx=ctx)
    click.echo("deleted " + ", ".join(f"{name} {count}" for name, count in deleted.items()))
