"""Logging: text (the default) or one JSON object per line, with the request id on every record.

``ONBOARDING_LOG_FORMAT=json`` gives lines a log pipeline can parse: ``time``, ``level``,
``logger``, ``message``, ``request_id``, ``session_id`` where known, and the request log's
``method``, ``route``, ``status`` and ``duration_ms``. The request id comes from a valid
``X-Request-Id`` or is made per request (``backend.request_log``); stored webhooks and partner
notifications keep it, and the worker binds it again while it handles them, so one id follows an
event from Wise's delivery to the partner's notification. Nothing here ever logs a value a
caller did not pass; no code, state, token or key is passed to a log call anywhere in the kit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: ContextVar[str | None] = ContextVar("onboarding_request_id", default=None)
SESSION_ID: ContextVar[str | None] = ContextVar("onboarding_session_id", default=None)
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}\Z", re.ASCII)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_base_factory = logging.getLogRecordFactory()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = REQUEST_ID.get()
    record.session_id = SESSION_ID.get()
    return record


def json_formatter() -> logging.Formatter:
    """One JSON object per line, in the field names the docs promise."""
    return JsonFormatter(
        ["asctime", "levelname", "name", "message", "request_id", "session_id"],
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(level: str, log_format: str = "text") -> None:
    """Set the ``backend`` level and, when the host process has none, the handler and format."""
    # Every record carries the request and session ids, whichever handler formats it.
    if logging.getLogRecordFactory() is not _record_with_context:
        logging.setLogRecordFactory(_record_with_context)
    logging.getLogger("backend").setLevel(level)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
        handler.setFormatter(
            json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
        )


def valid_request_id(value: str | None) -> str | None:
    """A request id fit to log and echo, or None."""
    return value if value and REQUEST_ID_RE.match(value) else None


@contextmanager
def bound(*, request_id: str | None = None, session_id: str | None = None) -> Iterator[None]:
    """Log with these ids inside the block (the worker, for the item it handles)."""
    tokens = (REQUEST_ID.set(request_id), SESSION_ID.set(session_id))
    try:
        yield
    finally:
        REQUEST_ID.reset(tokens[0])
        SESSION_ID.reset(tokens[1])


def set_session(session_id: str | None) -> None:
    """From here to the end of the request or job, log lines name this onboarding session."""
    SESSION_ID.set(session_id)
