"""The redaction applied to gunicorn's error log, message by message."""

from __future__ import annotations

import logging
import sys

import pytest

from backend.gunicorn_logging import RedactRequestData, redact

SECRET = "S3CRETtoken0123456789"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            f"Invalid request from ip=127.0.0.1: Invalid HTTP request line: 'GET /x/{SECRET}'",
            "Invalid request from ip=127.0.0.1: Invalid HTTP request line",
        ),
        (
            f"Invalid request from ip=::1: Invalid HTTP Header: 'Cookie: a={SECRET}'",
            "Invalid request from ip=::1: Invalid HTTP Header",
        ),
        (f"Error handling request GET /cb?code={SECRET}", "Error handling request"),
        (f"No more data after: b'{SECRET}'", "No more data after: '…'"),
        (f"something at /onboarding/launch/{SECRET} failed", "something at /… failed"),
        (f"query ?state={SECRET}", "query ?…"),
        ("Listening at: http://127.0.0.1:8000 (12)", "Listening at: http://127.0.0.1:8000 (12)"),
        ("Booting worker with pid: 12", "Booting worker with pid: 12"),
    ],
)
def test_request_data_is_removed(message: str, expected: str) -> None:
    assert redact(message) == expected


def test_tracebacks_keep_their_frames_but_not_the_message() -> None:
    try:
        raise ValueError(f"bad request line GET /launch/{SECRET}")
    except ValueError:
        record = logging.LogRecord(
            "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s %s",
            ("GET", f"/launch/{SECRET}"), sys.exc_info(),
        )  # fmt: skip
    assert RedactRequestData().filter(record)
    rendered = logging.Formatter().format(record)
    assert SECRET not in rendered
    assert rendered.startswith("Error handling request\nTraceback (most recent call last):")
    assert rendered.rstrip().endswith("ValueError")
    assert "test_tracebacks_keep_their_frames" in rendered
