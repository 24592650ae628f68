"""How services get what they need: one frozen ``Context`` per request or worker job.

``Runtime`` holds the process-wide parts, built once per process: settings, clock, token cipher,
Wise client and database engine. A web request or a worker job opens a ``Context`` from it, which
adds its own database session. Services take ``ctx`` and nothing else from their surroundings:
no Flask, no globals. So the same service function runs unchanged in a request, in the worker, in
a command and in a test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend import db as database
from backend.clock import Clock, SystemClock
from backend.crypto import TokenCipher
from backend.settings import Settings
from backend.wise import WiseClient


@dataclass(frozen=True)
class Context:
    """What one use case may touch: its database session and the process's parts."""

    db: Session
    settings: Settings
    clock: Clock
    cipher: TokenCipher
    wise: WiseClient
    # The request's X-Request-Id (or the one a stored item carries, in the worker): kept with
    # what the use case stores, so later log lines about it carry the same id.
    request_id: str | None = None

    def now(self) -> datetime:
        """The current time from the injected clock (tests move it)."""
        return self.clock.now()


@dataclass(frozen=True)
class Runtime:
    """The process-wide parts of the kit, shared by every request and job of the process."""

    settings: Settings
    clock: Clock
    cipher: TokenCipher
    wise: WiseClient
    engine: Engine

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        """Create the parts for ``settings``; ``clock`` is the test seam for moving time."""
        chosen: Clock = clock or SystemClock()
        return cls(
            settings=settings,
            clock=chosen,
            cipher=TokenCipher(settings.token_encryption_keys),
            wise=WiseClient(settings, chosen),
            engine=database.make_engine(settings.database_url, settings),
        )

    def context(self, session: Session, request_id: str | None = None) -> Context:
        """A context around an existing session (the request's)."""
        return Context(
            db=session,
            settings=self.settings,
            clock=self.clock,
            cipher=self.cipher,
            wise=self.wise,
            request_id=request_id,
        )

    @contextmanager
    def job(self) -> Iterator[Context]:
        """A context with a session of its own, closed when the block ends (commands, jobs)."""
        session = database.new_session(self.engine)
        try:
            yield self.context(session)
        finally:
            session.close()

    def close(self) -> None:
        """Release the engine's connections and the Wise client's."""
        self.wise.close()
        self.engine.dispose()
