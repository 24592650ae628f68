"""``onboarding-kit sessions``: housekeeping for onboarding sessions."""

from __future__ import annotations

import click

from backend.commands import command_runtime
from backend.services import idempotency, onboarding


@click.group()
def sessions() -> None:
    """Onboarding session housekeeping."""


@sessions.command()
def sweep() -> None:
    """Expire sessions whose time ran out and erase their personal data (safe to run anywhere).

    Also deletes Idempotency-Key records whose time is up (they hold encrypted launch URLs).
    """
    with command_runtime() as runtime, runtime.job() as ctx:
        count = onboarding.sweep(ctx=ctx)
        keys = idempotency.purge_expired(ctx=ctx)
    click.echo(f"settled {count} session(s); deleted {keys} expired idempotency key(s)")
