"""Throwaway databases for one bench run, and bulk-filled session tables for the scale case.

SQLite databases are files in the run's temporary folder. PostgreSQL databases are created on the
server named by ``ONBOARDING_TEST_POSTGRES_URL`` (the tests' variable; trust auth by default) and
dropped at the end, whatever happened.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, func, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError

POSTGRES_URL_VARIABLE = "ONBOARDING_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SESSION_TABLE = "onboarding_session"
YEAR_SECONDS = 365 * 86400


def postgres_admin_url() -> str:
    """The server the PostgreSQL runs create their databases on."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


def postgres_unavailable() -> str | None:
    """Why PostgreSQL runs cannot happen, or None when the server answers."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install '.[postgres]')"
    url = postgres_admin_url()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        where = make_url(url)
        detail = str(exc.orig).splitlines()[0]
        return f"no PostgreSQL server answers at {where.host}:{where.port} ({detail})"
    finally:
        engine.dispose()
    return None


@contextmanager
def throwaway_database(kind: str, workdir: Path, label: str) -> Iterator[str]:
    """Yield the URL of a new, empty database of ``kind`` (sqlite or postgresql); drop it after."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'{label}.db'}"
        return
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"kit_bench_{label}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield (
                make_url(postgres_admin_url())
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def count_rows(engine: Engine, table: str, **equal: Any) -> int:
    """``SELECT count(*)`` of a table, optionally where columns equal values."""
    reflected = Table(table, MetaData(), autoload_with=engine)
    query = select(func.count()).select_from(reflected)
    for column, value in equal.items():
        query = query.where(reflected.c[column] == value)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def fill_sessions(url: str, count: int, *, return_url: str) -> None:
    """Insert ``count`` ended sessions of the past year into a migrated kit database.

    The rows are made by the database itself (one ``INSERT ... SELECT`` over a series), which is
    what makes a million of them quick. A required column the bench does not know about stops it
    with its name.
    """
    engine = create_engine(url)
    try:
        table = Table(SESSION_TABLE, MetaData(), autoload_with=engine)
        sql = _DIALECTS[engine.dialect.name]
        values = _session_values(sql)
        missing = [
            c.name
            for c in table.columns
            if c.name not in values and not c.nullable and c.server_default is None
        ]
        if missing:
            raise RuntimeError(f"the bench cannot fill {SESSION_TABLE}: no value for {missing}")
        columns = [c.name for c in table.columns if c.name in values]
        # Built from the fixed fragments above and reflected column names; values are parameters.
        statement = (
            f"{sql['with']} picked AS MATERIALIZED ("  # noqa: S608
            f"SELECT i, {sql['random'].format(n=100)} AS pick, "
            f"{sql['random'].format(n=YEAR_SECONDS)} + 3600 AS age, "
            f"{sql['random'].format(n=298)} + 2 AS to_launch, "
            f"{sql['random'].format(n=880)} + 20 AS to_finish, "
            f"{sql['random'].format(n=max(1, count * 4 // 5))} AS customer "
            f"FROM {sql['series']}) "
            f"INSERT INTO {SESSION_TABLE} ({', '.join(columns)}) "
            f"SELECT {', '.join(values[c] for c in columns)} FROM picked"
        )
        parameters = {"count": count, "return_url": return_url, "now": int(time.time())}
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                # Setup, not measurement: a big page cache and no fsync while the rows go in.
                conn.exec_driver_sql("PRAGMA cache_size=-1048576")
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
                conn.execute(text(statement), parameters)
            else:
                with _indexes_rebuilt(conn):
                    conn.execute(text(statement), parameters)
                # Autovacuum would long have analysed a table this size. SQLite has no such
                # habit, and the kit does not run ANALYZE on it either.
                conn.execute(text(f"ANALYZE {SESSION_TABLE}"))
    finally:
        engine.dispose()


# Per dialect: the series of row numbers (materialised with each row's random picks, so every
# column of a row sees the same picks), a random integer below n, 2 x bytes of random hex
# (unique per row: the row number is part of it), and a naive UTC timestamp ``ago`` seconds back.
_DIALECTS = {
    "sqlite": {
        "with": "WITH RECURSIVE series(i) AS "
        "(SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < :count),",
        "series": "series",
        "random": "(abs(random()) % {n})",
        "hex": "lower(hex(randomblob({bytes})))",
        # The kit stores SQLite timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff'.
        "ago": "(strftime('%Y-%m-%d %H:%M:%f', :now - ({ago}), 'unixepoch') || '000')",
    },
    "postgresql": {
        "with": "WITH",
        "series": "generate_series(1, :count) AS series(i)",
        "random": "floor(random() * {n})::bigint",
        "hex": "left(md5(i || 'a' || random()) || md5(i || 'b' || random()), {bytes} * 2)",
        "ago": "(to_timestamp(:now - ({ago})) AT TIME ZONE 'utc')",
    },
}


@contextmanager
def _indexes_rebuilt(conn: Connection) -> Iterator[None]:
    """Drop the session table's indexes and unique constraints, and make them again after.

    Building an index once over a million rows is several times quicker than updating five
    indexes row by row. The definitions come from PostgreSQL itself, so they come back as they were.
    """
    owned = {"table": SESSION_TABLE}
    constraints = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u')"
        ),
        owned,
    ).all()
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :table AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass))"
        ),
        owned,
    ).all()
    for name, _ in indexes:
        conn.execute(text(f'DROP INDEX "{name}"'))
    for name, _ in constraints:
        conn.execute(text(f'ALTER TABLE {SESSION_TABLE} DROP CONSTRAINT "{name}"'))
    yield
    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for name, definition in constraints:
        conn.execute(text(f'ALTER TABLE {SESSION_TABLE} ADD CONSTRAINT "{name}" {definition}'))
    for _, definition in indexes:
        conn.execute(text(definition))


def _session_values(sql: dict[str, str]) -> dict[str, str]:
    """SQL for each column of an ended session, from the picks of its row.

    Sessions that ended, as a kit that has run for a year holds them: personal data erased, 62 %
    linked, 25 % expired before launch, 8 % failed, 5 % declined.
    """
    linked, failed = "pick < 62", "pick >= 87 AND pick < 95"
    # Expired sessions (62 <= pick < 87) were never launched.
    launched = "(pick < 62 OR pick >= 87)"
    status = (
        "CASE WHEN pick < 62 THEN 'linked' WHEN pick < 87 THEN 'expired' "
        "WHEN pick < 95 THEN 'failed' ELSE 'declined' END"
    )

    def when(condition: str, value: str) -> str:
        return f"CASE WHEN {condition} THEN {value} END"

    def ago(seconds: str) -> str:
        return sql["ago"].format(ago=seconds)

    return {
        "id": sql["hex"].format(bytes=16),
        "status": status,
        "customer_external_id": "'c-' || customer",
        "customer_type": "'personal'",
        "mode": "'link'",
        "existing_account": "FALSE",
        "identity_check": when(linked, "'passed'"),
        "return_url": ":return_url",
        "launch_token_hash": sql["hex"].format(bytes=32),
        "state_hash": when(launched, sql["hex"].format(bytes=32)),
        "binding_hash": when(launched, sql["hex"].format(bytes=32)),
        "failure_reason": when(failed, "'identity_mismatch'"),
        "wise_profile_id": when(linked, "30000000 + customer"),
        "created_at": ago("age"),
        "expires_at": ago("age - 600"),
        "launched_at": when(launched, ago("age - to_launch")),
        "state_expires_at": when(launched, ago("age - to_launch - 3600")),
        "state_consumed_at": when(launched, ago("age - to_launch - to_finish")),
        "completed_at": f"CASE WHEN {launched} THEN {ago('age - to_launch - to_finish')} "
        f"ELSE {ago('age - 600')} END",
    }
