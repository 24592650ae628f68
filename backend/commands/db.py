"""``onboarding-kit db``: schema migrations."""

from __future__ import annotations

import click

from backend import db as database


@click.group()
def db() -> None:
    """Database schema commands (reads ONBOARDING_DATABASE_URL)."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    url = database.database_url_from_env()
    database.upgrade(url, revision)
    click.echo(f"database at revision {revision}")


@db.command()
def status() -> None:
    """Exit non-zero unless the database is reachable and fully migrated."""
    engine = database.make_engine(database.database_url_from_env())
    state = database.schema_status(engine)
    engine.dispose()
    click.echo(state)
    if state != "ok":
        raise SystemExit(1)
