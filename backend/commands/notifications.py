"""``onboarding-kit notifications``: the partner-notification outbox."""

from __future__ import annotations

import click

from backend.commands import command_runtime
from backend.services import notifications as outbox


@click.group()
def notifications() -> None:
    """Partner notifications (ONBOARDING_PARTNER_WEBHOOK_URL); the worker delivers them."""


@notifications.command()
def deliver() -> None:
    """Send due notifications once, oldest first (the worker does this continuously)."""
    with command_runtime() as runtime, runtime.job() as ctx:
        if not ctx.settings.partner_notifications_enabled:
            raise click.ClickException("ONBOARDING_PARTNER_WEBHOOK_URL is not set")
        report = outbox.deliver_due(ctx=ctx)
        pending = outbox.pending_count(ctx=ctx)
    click.echo(f"delivered {report.delivered}, failed {report.failed}, pending {pending}")
