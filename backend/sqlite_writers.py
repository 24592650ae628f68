"""SQLite write transactions: writers of one process take turns, and each asks SQLite promptly.

SQLite has one writer at a time, and a connection that finds the write lock taken does not
queue: its busy handler sleeps and retries, the sleeps growing to 100 ms. Under a burst of
concurrent writes (a webhook flood, many returns from Wise at once) waiters slept while the lock
was free, the slowest answers took seconds, and some gave up after the busy timeout with a 503.

So a write transaction of the service now begins differently, just before its first INSERT,
UPDATE or DELETE (where SQLite would take the write lock anyway; reads before it run outside the
transaction, as the driver runs them):

1. the connection takes its process's turn, a ``threading.Lock`` per database file: threads of
   one process queue there, and the next one is woken the moment the holder commits or rolls
   back;
2. the turn holder asks SQLite for the write lock with ``BEGIN IMMEDIATE``, retrying every
   0.5-5 ms while another process (another web worker, the kit's worker) holds it, instead of
   sleeping in SQLite's busy handler.

Both waits together are bounded by the statement timeout, as SQLite's own wait was; past it the
statement fails as "database is locked" (a 503 that says try again), as it would have. The turn
is given back when the transaction ends, however it ends: commit, rollback or the connection
closing. Durability is unchanged: every commit is still ``synchronous=FULL``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# One turn per database file in this process: engines of the same file share it.
_TURNS: dict[str, threading.Lock] = {}
_TURNS_GUARD = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# How long the turn holder waits between asks while another process writes.
FIRST_RETRY_SECONDS = 0.0005
LONGEST_RETRY_SECONDS = 0.005


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions begin as this module describes."""

    turn: threading.Lock
    wait_seconds: float = 30.0
    holds_turn: bool = False

    def begin_write(self) -> None:
        """Take this process's turn, then SQLite's write lock (``BEGIN IMMEDIATE``)."""
        if self.in_transaction:
            return
        deadline = time.monotonic() + self.wait_seconds
        if not self.holds_turn:
            if not self.turn.acquire(timeout=self.wait_seconds):
                raise sqlite3.OperationalError("database is locked")
            self.holds_turn = True
        try:
            self._begin_immediate(deadline)
        except BaseException:
            self.give_turn()
            raise

    def _begin_immediate(self, deadline: float) -> None:
        # SQLite's own busy handler would sleep up to 100 ms between tries: ask it not to wait,
        # and retry here at short intervals instead.
        self.execute("PRAGMA busy_timeout = 0")
        try:
            pause = FIRST_RETRY_SECONDS
            while True:
                try:
                    self.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_RETRY_SECONDS)
        finally:
            # Back to the wait every connection has (backend.db sets it as it connects).
            self.execute(f"PRAGMA busy_timeout = {int(self.wait_seconds * 1000)}")

    def give_turn(self) -> None:
        """Let the next writer of this process go, if this connection holds the turn."""
        if self.holds_turn:
            self.holds_turn = False
            self.turn.release()

    def commit(self) -> None:
        """Commit, then give the turn back."""
        try:
            super().commit()
        finally:
            self.give_turn()

    def rollback(self) -> None:
        """Roll back, then give the turn back."""
        try:
            super().rollback()
        finally:
            self.give_turn()

    def close(self) -> None:
        """Close; an open transaction ends with it, and so does the turn."""
        try:
            super().close()
        finally:
            self.give_turn()


def connect_args(database: str, wait_seconds: float) -> dict[str, Any]:
    """``sqlite3.connect`` arguments that make connections to ``database`` write this way."""
    with _TURNS_GUARD:
        turn = _TURNS.setdefault(database, threading.Lock())
    attributes = {"turn": turn, "wait_seconds": wait_seconds}
    return {"factory": type("Connection", (TurnTakingConnection,), attributes)}


def turn_taken(database: str) -> bool:
    """Whether a connection of this process holds the write turn of ``database`` right now."""
    turn = _TURNS.get(database)
    return turn is not None and turn.locked()


def install(engine: Engine) -> None:
    """Begin each write transaction of ``engine`` this way, before its first write statement."""

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_write(_conn: Any, cursor: Any, statement: str, *_args: Any, **_kw: Any) -> None:
        connection = cursor.connection
        if (
            isinstance(connection, TurnTakingConnection)
            and not connection.in_transaction
            and statement.lstrip()[:7].upper().startswith(_WRITES)
        ):
            connection.begin_write()
