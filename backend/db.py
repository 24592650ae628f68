"""Database engine and sessions, a portable UTC timestamp type, and Alembic migrations."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from backend import sqlite_writers
from backend.db_bounds import Bounds, engine_options, install

if TYPE_CHECKING:
    from backend.settings import Settings

MIGRATIONS = "backend:migrations"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL converts, we agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to naive UTC before it reaches the driver."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark stored values as UTC again."""
        return None if value is None else value.replace(tzinfo=UTC)


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """Create an engine that suits both SQLite (the default) and PostgreSQL.

    With ``settings`` every wait on the database is bounded (``backend.db_bounds``); without,
    as for migrations, statements may take as long as they need.
    """
    backend = make_url(url).get_backend_name()
    bounds = None
    if settings is not None:
        bounds = Bounds(
            connect_seconds=settings.database_connect_timeout_seconds,
            statement_seconds=settings.database_statement_timeout_seconds,
            pool_seconds=settings.database_pool_timeout_seconds,
        )
    options = engine_options(backend, bounds)
    path = sqlite_path(url)
    if path is not None and bounds is not None:
        # The service's write transactions queue fairly (backend.sqlite_writers).
        writers = sqlite_writers.connect_args(str(path.resolve()), bounds.statement_seconds)
        options["connect_args"] = {**options.get("connect_args", {}), **writers}
    # SQL parameters never reach logs or exception texts: they include ciphertexts and hashes.
    engine = create_engine(url, hide_parameters=True, **options)
    if backend == "sqlite":
        busy_ms = int((bounds.statement_seconds if bounds else 30.0) * 1000)
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=busy_ms))
        sqlite_writers.install(engine)
    install(engine, bounds)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer commits; busy_timeout makes concurrent writers queue.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    # Every commit is on disk before it is answered (WAL's default elsewhere may be NORMAL, which
    # can lose the last commits on power loss): said here, not left to how SQLite was built.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def new_session(engine: Engine) -> Session:
    """A session for one request or job; the caller closes it."""
    # expire_on_commit=False: services return rows that routes still read after the commit.
    return Session(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run the migrations up to ``revision``, creating a SQLite file's folder when needed."""
    require_driver(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


class DriverMissing(RuntimeError):
    """The database URL names a driver that is not installed; the message says what to install."""


def require_driver(url: str) -> None:
    """Raise DriverMissing when ``url`` needs a driver this install lacks."""
    if make_url(url).get_backend_name() == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise DriverMissing(
                "PostgreSQL needs its driver: install the postgres extra: pip install '.[postgres]'"
            ) from None


def sqlite_path(url: str) -> Path | None:
    """The file of a file-backed SQLite URL, None for anything else."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def schema_status_of(url: str) -> str:
    """``schema_status`` for a URL, without creating a SQLite file that does not exist yet."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return "migrations_pending"
    engine = make_engine(url)
    try:
        return schema_status(engine)
    finally:
        engine.dispose()


@functools.cache
def head_revision() -> str | None:
    """The newest migration revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def schema_status(db_engine: Engine) -> str:
    """Return ``ok``, ``unreachable`` or ``migrations_pending`` for the readiness probe."""
    try:
        with db_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError:
        return "unreachable"
    return "ok" if current == head_revision() else "migrations_pending"


def database_url_from_env() -> str:
    """The configured database URL, for commands that need nothing else."""
    return os.environ.get("ONBOARDING_DATABASE_URL", "sqlite:///instance/onboarding.db")
