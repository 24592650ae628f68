"""SQLite write transactions: one process's writers take turns and ask SQLite promptly, within
the statement bound, and a turn is always given back."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from backend import sqlite_writers
from backend.db import make_engine, sqlite_path
from backend.settings import load_settings
from tests.support.factories import kit_config

STATEMENT_TIMEOUT = 1.0


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    settings = load_settings(
        {
            **kit_config(database_url=database_url),
            "ONBOARDING_DATABASE_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT),
        }
    )
    made = make_engine(database_url, settings)
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    yield made
    made.dispose()


def write(engine: Engine, note_id: int) -> None:
    """One write transaction: a read outside it, then an insert, then commit."""
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM note")).scalar()
        conn.execute(text("INSERT INTO note (id, body) VALUES (:id, 'x')"), {"id": note_id})
        conn.commit()


def outside_writer(database_url: str) -> sqlite3.Connection:
    """Another process's connection to the same file (a plain sqlite3 connection)."""
    path = sqlite_path(database_url)
    assert path is not None
    return sqlite3.connect(Path(path), isolation_level=None, timeout=0)


def test_concurrent_writers_of_one_process_all_commit(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda n: write(engine, n), range(400)))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM note")).scalar() == 400


def test_a_writer_waits_for_another_process_and_goes_once_it_commits(
    engine: Engine, database_url: str
) -> None:
    other = outside_writer(database_url)
    other.execute("BEGIN IMMEDIATE")
    done = threading.Event()
    writer = threading.Thread(target=lambda: (write(engine, 1), done.set()))
    writer.start()
    # Still waiting while the other process holds SQLite's write lock...
    assert not done.wait(STATEMENT_TIMEOUT / 4)
    other.execute("COMMIT")
    # ...and through as soon as it is free, well inside the bound.
    assert done.wait(STATEMENT_TIMEOUT)
    writer.join()
    other.close()


def test_a_writer_gives_up_at_the_bound_and_the_next_one_goes(
    engine: Engine, database_url: str
) -> None:
    other = outside_writer(database_url)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        write(engine, 1)
    assert STATEMENT_TIMEOUT <= time.monotonic() - started < STATEMENT_TIMEOUT + 2
    other.execute("ROLLBACK")
    other.close()
    # The failed writer gave its turn back: the next write of this process is not held.
    write(engine, 2)


def database_of(database_url: str) -> str:
    path = sqlite_path(database_url)
    assert path is not None
    return str(path.resolve())


def test_every_way_a_write_transaction_ends_gives_the_turn_back(
    engine: Engine, database_url: str
) -> None:
    database = database_of(database_url)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO note (id, body) VALUES (1, 'x')"))
        assert sqlite_writers.turn_taken(database)
        conn.commit()
        assert not sqlite_writers.turn_taken(database)
        conn.execute(text("INSERT INTO note (id, body) VALUES (2, 'x')"))
        conn.rollback()
        assert not sqlite_writers.turn_taken(database)
        with pytest.raises(IntegrityError):
            conn.execute(text("INSERT INTO note (id, body) VALUES (1, 'again')"))
        assert sqlite_writers.turn_taken(database)  # the transaction is still open
    # Returned to the pool without a commit: the pool rolls it back, and the turn goes with it.
    assert not sqlite_writers.turn_taken(database)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO note (id, body) VALUES (3, 'x')"))
        conn.connection.invalidate()  # a connection closed mid-transaction
    assert not sqlite_writers.turn_taken(database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM note ORDER BY id")).scalars().all() == [1]


def test_reads_never_take_the_turn(engine: Engine, database_url: str) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM note")).scalar()
        assert not sqlite_writers.turn_taken(database_of(database_url))
