"""``onboarding-kit notifications``: the partner-notification outbox."""

from __future__ import annotations

import click

from backend.commands import command_runtime
from backend.commands.queues import list_parked, put_back, when
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


@notifications.command()
def failed() -> None:
    """List parked notifications (delivery failed too often) with the last error."""
    list_parked(
        lambda ctx: outbox.failed(ctx=ctx),
        lambda row: (
            f"{row.id}  {when(row.created_at)}  {row.event_type}  customer "
            f"{row.customer_external_id}  attempts {row.attempts}  {row.last_error or ''}"
        ),
        "notifications",
    )


@notifications.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Retry every parked notification.")
def retry(ids: tuple[int, ...], every: bool) -> None:
    """Put parked notifications back in the queue (after the partner endpoint is fixed)."""
    put_back(lambda ctx, chosen: outbox.retry(ctx=ctx, ids=chosen), ids, every, "notifications")
