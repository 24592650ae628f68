"""A throwaway PostgreSQL database per test, skipped with a reason when no server answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, and drop it afterwards.

    With ``template`` (the URL of a migrated database nobody is connected to), the new database
    is a copy of it: PostgreSQL clones a database file by file, far faster than migrating again.
    """
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install '.[postgres]')")
    admin_url = os.environ.get("ONBOARDING_TEST_POSTGRES_URL", DEFAULT_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"kit_test_{uuid.uuid4().hex[:16]}"
    try:
        with admin.connect() as conn:
            if template is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                source = make_url(template).database
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {make_url(admin_url).host}: {exc.orig}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
# Runs a test on SQLite and on PostgreSQL (skipped with a reason when no server answers): the
# compare-and-set paths behave differently under PostgreSQL's row locks and READ COMMITTED.
# The test (or its ``config``/``stack`` fixtures) reads its database from ``db_url``.
ON_BOTH_DATABASES = pytest.mark.parametrize("db_url", ["sqlite", POSTGRES], indirect=True)
