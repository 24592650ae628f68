"""Gunicorn's error log without request data.

Gunicorn writes a malformed request into its error log as it came ("Invalid HTTP request line:
'GET /onboarding/launch/<token> ...'", header values, chunk bytes), and an application error with
the method and URI. Launch paths carry single-use tokens, and query strings OAuth codes and state,
so the serve command uses this logger: it keeps what happened and from where, and drops quoted
request data, paths, query strings and exception messages.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from typing import Any

from gunicorn.glogging import Logger

from backend.logs import json_formatter

# "Invalid request from ip=1.2.3.4: Invalid HTTP request line: 'GET /x ...'" -> up to the kind.
INVALID_REQUEST = re.compile(r"^(Invalid request from ip=\S+?: [^:'\"]*?)(?::.*)?$", re.S)
ERROR_HANDLING = re.compile(r"^(Error handling request)\b.*$", re.S)
QUOTED = re.compile(r"""b?'(?:[^'\\]|\\.)*'|b?"(?:[^"\\]|\\.)*\"""")
# A path or query after a space, quote or "=": never a URL's "//host" (listening addresses).
PATH = re.compile(r"""(?<=[\s'"=(])/(?!/)\S*""")
QUERY = re.compile(r"\?\S+")


def redact(message: str) -> str:
    """The message without request data."""
    message = INVALID_REQUEST.sub(r"\1", message)
    message = ERROR_HANDLING.sub(r"\1", message)
    message = QUOTED.sub("'…'", message)
    message = PATH.sub("/…", message)
    return QUERY.sub("?…", message)


class RedactRequestData(logging.Filter):
    """Rewrites each record: message redacted, traceback kept without the exception's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info and record.exc_info[0] is not None:
            kind, _value, tb = record.exc_info
            frames = "".join(traceback.format_tb(tb))
            record.exc_text = f"Traceback (most recent call last):\n{frames}{kind.__name__}"
            record.exc_info = None
        return True


class RedactingLogger(Logger):
    """Gunicorn's logger with ``RedactRequestData`` on its error log."""

    def setup(self, cfg: Any) -> None:
        """Set up as gunicorn does, then add the filter (and the JSON format) to its handlers."""
        super().setup(cfg)
        # Read as the service reads it: `serve` hands its settings down through the environment.
        as_json = os.environ.get("ONBOARDING_LOG_FORMAT", "").strip().lower() == "json"
        for handler in self.error_log.handlers:
            handler.addFilter(RedactRequestData())
            if as_json:
                handler.setFormatter(json_formatter())
