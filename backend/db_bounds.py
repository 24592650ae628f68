"""Bounded waits on the database: connecting, waiting for a pooled connection, each statement.

A database that accepts connections but never answers would otherwise hold every request thread
for minutes, until even ``/healthz`` cannot get one. With these bounds a request gives up within
about ``ONBOARDING_DATABASE_STATEMENT_TIMEOUT_SECONDS`` and answers 503 with Retry-After, and
nothing is half-written: the server rolls back a transaction whose connection went away.

- connecting: ``connect_timeout`` (PostgreSQL); SQLite opens a local file.
- a pooled connection: ``pool_timeout``; the pool's ``TimeoutError`` is a 503 like any outage.
- each statement, commit and rollback: PostgreSQL's own ``statement_timeout`` for slow queries,
  and, for a server that stopped answering altogether (it cannot cancel anything then), the
  process's watchdog shuts the connection's socket down; psycopg marks it broken and SQLAlchemy
  drops it from the pool. SQLite waits at most that long for another writer (``busy_timeout``).
- a pooled PostgreSQL connection idle for a while is pinged (under the same bound) before use.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from backend.watchdog import WATCHDOG, Alarm

# A connection back from the pool after this long idle is pinged first (a cheap round trip that
# finds connections the server or a proxy closed meanwhile).
PING_AFTER_IDLE_SECONDS = 10.0
# How long above the statement timeout the watchdog waits: PostgreSQL cancels a slow statement
# itself at the timeout; only a server that stopped answering reaches the watchdog.
WATCHDOG_GRACE_SECONDS = 0.5
_ALARM = "onboarding.watchdog"
_CHECKED_IN = "onboarding.checked_in"


@dataclass(frozen=True)
class Bounds:
    """The three waits, in seconds."""

    connect_seconds: float
    statement_seconds: float
    pool_seconds: float


def engine_options(backend: str, bounds: Bounds | None) -> dict[str, Any]:
    """``create_engine`` keyword arguments for a driver (``sqlite``, ``postgresql``)."""
    if backend == "sqlite":
        # Several threads share the engine; writers wait for each other, up to the bound.
        wait = bounds.statement_seconds if bounds else 30.0
        return {"connect_args": {"check_same_thread": False, "timeout": wait}}
    if bounds is None or backend != "postgresql":
        return {"pool_pre_ping": True}
    timeout_ms = int(bounds.statement_seconds * 1000)
    return {
        "pool_timeout": bounds.pool_seconds,
        "connect_args": {
            # libpq counts whole seconds, at least 2.
            "connect_timeout": max(2, math.ceil(bounds.connect_seconds)),
            "options": (
                f"-c statement_timeout={timeout_ms} "
                # A transaction left open by a bug never holds its locks for long.
                f"-c idle_in_transaction_session_timeout={max(60_000, 10 * timeout_ms)}"
            ),
        },
    }


def install(engine: Engine, bounds: Bounds | None) -> None:
    """Add the per-statement watchdog and the idle ping to a PostgreSQL engine."""
    if bounds is None or engine.dialect.name != "postgresql":
        return
    limit = bounds.statement_seconds + WATCHDOG_GRACE_SECONDS

    def arm(conn: Connection, *_args: Any) -> None:
        if conn.invalidated or conn.closed:
            return  # a connection already dropped (the rollback after a cut, say)
        _arm(conn.info, conn.connection.dbapi_connection, limit)

    def disarm(conn: Connection, *_args: Any) -> None:
        if not conn.invalidated and not conn.closed:
            _disarm(conn.info)

    event.listen(engine, "before_cursor_execute", arm)
    event.listen(engine, "after_cursor_execute", disarm)
    # Commit and rollback are round trips too; the alarm they arm ends at check-in.
    event.listen(engine, "commit", arm)
    event.listen(engine, "rollback", arm)

    @event.listens_for(engine, "handle_error")
    def failed(context: Any) -> None:
        if context.connection is not None:
            disarm(context.connection)

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection: Any, record: Any) -> None:
        _disarm(record.info)
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_when_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_CHECKED_IN)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        _arm(record.info, dbapi_connection, limit)
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception:
            # The pool throws this connection away and checks out another one.
            raise DisconnectionError("pooled connection failed its ping") from None
        finally:
            _disarm(record.info)


def _arm(info: dict[str, Any], dbapi_connection: Any, seconds: float) -> None:
    _disarm(info)
    info[_ALARM] = WATCHDOG.arm(seconds, lambda: _cut(dbapi_connection))


def _disarm(info: dict[str, Any] | None) -> None:
    alarm: Alarm | None = info.pop(_ALARM, None) if info is not None else None
    if alarm is not None:
        alarm.cancel()


def _cut(dbapi_connection: Any) -> None:
    """Shut a psycopg connection's socket down: its blocked call fails, and it counts as broken."""
    if dbapi_connection.closed:
        return  # already dropped; nothing is waiting on it
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # the driver says it has no socket any more: nothing to cut
        return
    duplicate = socket.socket(fileno=os.dup(fd))
    with contextlib.suppress(OSError):
        duplicate.shutdown(socket.SHUT_RDWR)
    duplicate.close()
