"""``onboarding-kit sessions``: housekeeping for onboarding sessions."""

from __future__ import annotations

import click

from backend import extensions
from backend.app import create_app
from backend.db import get_session
from backend.services import onboarding


@click.group()
def sessions() -> None:
    """Onboarding session housekeeping."""


@sessions.command()
def sweep() -> None:
    """Expire sessions whose time ran out and erase their personal data (safe to run anywhere)."""
    app = create_app()
    with app.app_context():
        count = onboarding.sweep(db=get_session(), now=extensions.clock().now())
    click.echo(f"settled {count} session(s)")
