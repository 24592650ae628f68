"""Click commands of ``onboarding-kit`` that belong to the backend, and what they share.

Commands build the kit's ``Runtime`` straight from the environment (no Flask app) and turn the
usual set-up mistakes into one clear line instead of a traceback: invalid settings, a database
that is not migrated, a PostgreSQL URL without its driver.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

from backend import db as database
from backend.context import Runtime
from backend.settings import Settings, SettingsError, load_settings

NOT_MIGRATED = "database not migrated: run `onboarding-kit db upgrade`"


def settings_from_env() -> Settings:
    """The settings of this process, or a clean command failure listing every problem."""
    try:
        return load_settings(os.environ)
    except SettingsError as exc:
        problems = "\n".join(f"  - {line}" for line in exc.problems)
        raise click.ClickException(
            f"invalid configuration (`onboarding-kit config check` shows it all):\n{problems}"
        ) from None


@contextmanager
def command_runtime(*, migrated: bool = True) -> Iterator[Runtime]:
    """The kit's parts for one command; with ``migrated``, refuse a database not yet migrated."""
    settings = settings_from_env()
    try:
        database.require_driver(settings.database_url)
    except database.DriverMissing as exc:
        raise click.ClickException(str(exc)) from None
    if migrated:
        status = database.schema_status_of(settings.database_url)
        if status == "unreachable":
            raise click.ClickException(
                "database unreachable: check ONBOARDING_DATABASE_URL (`onboarding-kit db status`)"
            )
        if status != "ok":
            raise click.ClickException(NOT_MIGRATED)
    runtime = Runtime.build(settings)
    try:
        yield runtime
    finally:
        runtime.close()
