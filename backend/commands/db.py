"""``onboarding-kit db``: schema migrations."""

from __future__ import annotations

import click

from backend import db as database


@click.group()
def db() -> None:
    """Database schema commands (reads ONBOARDING_DATABASE_URL)."""


@db.command()
@click.option(
    "--revision",
    default="head",
    show_default=True,
    help="Migrate up to this revision ('head' is the newest).",
)
def upgrade(revision: str) -> None:
    """Apply the database migrations, up to the newest unless --revision names another."""
    url = database.database_url_from_env()
    try:
        database.upgrade(url, revision)
    except database.DriverMissing as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"database at revision {revision}")


@db.command()
def status() -> None:
    """Exit non-zero unless the database is reachable and fully migrated."""
    url = database.database_url_from_env()
    try:
        database.require_driver(url)
    except database.DriverMissing as exc:
        raise click.ClickException(str(exc)) from None
    state = database.schema_status_of(url)
    click.echo(state)
    if state != "ok":
        raise SystemExit(1)
