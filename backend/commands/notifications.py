"""``onboarding-kit notifications``: deliver the partner-notification outbox."""

from __future__ import annotations

import click

from backend import extensions
from backend.app import create_app
from backend.db import get_session
from backend.services import notifications as outbox


@click.group()
def notifications() -> None:
    """Partner notifications (ONBOARDING_PARTNER_WEBHOOK_URL)."""


@notifications.command()
def deliver() -> None:
    """Send due notifications, oldest first (safe on every instance; run it every minute)."""
    with create_app().app_context():
        settings = extensions.settings()
        if not settings.lifecycle.partner_notifications_enabled:
            raise click.ClickException("ONBOARDING_PARTNER_WEBHOOK_URL is not set")
        db = get_session()
        report = outbox.deliver_due(db=db, settings=settings, clock=extensions.clock())
        pending = outbox.pending_count(db=db)
    click.echo(f"delivered {report.delivered}, failed {report.failed}, pending {pending}")
