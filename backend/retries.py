"""Retry timing for background work: exponential backoff with jitter, and when to give up.

A failed item waits ``ONBOARDING_RETRY_BASE_SECONDS`` after its first failure, twice as long
after each further one, at most ``ONBOARDING_RETRY_MAX_SECONDS``, and a random part of that is
taken off so items that failed together do not all come back at the same moment. After its
queue's maximum number of attempts an item is parked (``dead``) for an operator.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from backend.settings import Settings


def backoff_ceiling(settings: Settings, attempts: int) -> float:
    """The longest wait after the ``attempts``-th failure (the jitter only shortens it)."""
    doubled = settings.retry_base_seconds * 2 ** max(0, min(attempts - 1, 30))
    return float(min(settings.retry_max_seconds, doubled))


def next_attempt_at(settings: Settings, now: datetime, attempts: int) -> datetime:
    """When to try again after the ``attempts``-th failure: between half and all the ceiling."""
    # Spreads retries apart; not a secret, so the plain PRNG is right.
    wait = backoff_ceiling(settings, attempts) * random.uniform(0.5, 1.0)  # noqa: S311
    return now + timedelta(seconds=wait)


def error_code(exc: BaseException) -> str:
    """What a failure is recorded as: its class name only, never its message (it may hold data)."""
    return type(exc).__name__[:64]
