"""``onboarding-kit sessions``: housekeeping for onboarding sessions."""

from __future__ import annotations

import click

from backend import extensions
from backend.app import create_app
from backend.db import get_session
from backend.services import idempotency, onboarding


@click.group()
def sessions() -> None:
    """Onboarding session housekeeping."""


@sessions.command()
def sweep() -> None:
    """Expire sessions whose time ran out and erase their personal data (safe to run anywhere).

    Also deletes Idempotency-Key records whose time is up (they hold encrypted launch URLs).
    """
    app = create_app()
    with app.app_context():
        now = extensions.clock().now()
        count = onboarding.sweep(db=get_session(), now=now)
        keys = idempotency.purge_expired(db=get_session(), now=now)
    click.echo(f"settled {count} session(s); deleted {keys} expired idempotency key(s)")
