"""Wait for a condition with a deadline instead of sleeping for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    probe: Callable[[], T],
    accept: Callable[[T], bool],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Call ``probe`` until ``accept`` holds for its value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not accept(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {value!r}")
        time.sleep(interval)
        value = probe()
    return value


def answers_ok(url: str, *, timeout: float = 5.0) -> bool:
    """Tell whether ``url`` answers 200 now; any connection problem or slow answer is a "no"."""
    # Imported here so modules that only wait on in-process conditions do not need requests.
    import requests

    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        # Refused while the server binds, or slow while a worker boots on a busy machine.
        return False
