"""Retrying idempotent Wise calls with backoff, inside one wall-clock budget.

A launch in prefill mode makes several calls while the customer waits. Each transient failure
(network error, timeout, 5xx, 429, unreadable answer) is retried after a growing, jittered pause;
every call's timeouts are cut to what is left of the budget, so the whole preparation ends within
it. Only calls that are safe to repeat go through here.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from backend.wise.errors import WiseProtocolError, WiseUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_PAUSE_SECONDS = 0.1
MAX_PAUSE_SECONDS = 2.0


class BudgetExhausted(Exception):
    """Wise stayed unavailable until the budget ran out; ``what`` names the call, never data."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: Wise unavailable for the whole time budget")
        self.what = what


class Budget:
    """A deadline shared by every call of one use case."""

    def __init__(
        self,
        seconds: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._deadline = monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; zero or less once the budget is spent."""
        return self._deadline - self._monotonic()

    def pause(self, seconds: float, *, what: str) -> None:
        """Wait ``seconds``, or raise BudgetExhausted when that would overrun the budget."""
        if seconds >= self.remaining():
            raise BudgetExhausted(what)
        self._sleep(seconds)

    def call(self, attempt: Callable[[float], T], *, what: str) -> T:
        """Run ``attempt(timeout)`` until it succeeds; retry transient failures with backoff.

        ``timeout`` is what is left of the budget, for the call's own connect and read timeouts.
        Errors that are not transient (4xx answers, OAuth errors) are raised at once.
        """
        pause = FIRST_PAUSE_SECONDS
        while True:
            left = self.remaining()
            if left <= 0:
                raise BudgetExhausted(what)
            try:
                return attempt(left)
            except (WiseUnavailable, WiseProtocolError) as exc:
                hint = exc.retry_after if isinstance(exc, WiseUnavailable) else None
                # Wise's Retry-After is honoured (or ends the attempt when it outlasts the budget);
                # otherwise the pause grows exponentially, with jitter.
                wait = float(hint) if hint else pause * _jitter()
                logger.warning("%s failed (%s); retrying in %.2fs", what, exc, wait)
                self.pause(wait, what=what)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)


def _jitter() -> float:
    # Spreads retries of many launches apart; not a secret, so the plain PRNG is right.
    return random.uniform(0.5, 1.0)  # noqa: S311
