"""``onboarding-kit notifications``: deliver the partner-notification outbox."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from backend import extensions
from backend.app import create_app
from backend.db import get_session
from backend.services import notifications as outbox


@click.group()
def notifications() -> None:
    """Partner notifications (ONBOARDING_PARTNER_WEBHOOK_URL)."""


@notifications.command()
@click.option(
    "--watch",
    is_flag=True,
    help="Keep delivering until stopped with SIGTERM or Ctrl+C (run it as a sidecar).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1, max=3600),
    default=10.0,
    show_default=True,
    help="Seconds between delivery runs with --watch.",
)
def deliver(watch: bool, interval: float) -> None:
    """Send due notifications, oldest first (safe on every instance; run it every minute)."""
    app = create_app()
    with app.app_context():
        settings = extensions.settings()
        if not settings.partner_notifications_enabled:
            raise click.ClickException("ONBOARDING_PARTNER_WEBHOOK_URL is not set")
        if not watch:
            db = get_session()
            report = outbox.deliver_due(db=db, settings=settings, clock=extensions.clock())
            pending = outbox.pending_count(db=db)
            click.echo(f"delivered {report.delivered}, failed {report.failed}, pending {pending}")
            return
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        # Only a flag: the delivery in progress is finished and recorded before the loop ends.
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"delivering partner notifications every {interval:g} s until stopped")
    try:
        outbox.watch(
            app=app,
            stop=stop,
            interval=interval,
            on_report=lambda r: click.echo(f"delivered {r.delivered}, failed {r.failed}"),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    with app.app_context():
        pending = outbox.pending_count(db=get_session())
    click.echo(f"stopped, pending {pending}")
