"""The retry budget: backoff on transient failures, Retry-After, and a hard deadline."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.wise import WiseApiError, WiseUnavailable
from backend.wise.retry import Budget, BudgetExhausted


class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def failing(times: int, error: Exception) -> tuple[list[float], Callable[[float], str]]:
    timeouts: list[float] = []

    def attempt(timeout: float) -> str:
        timeouts.append(timeout)
        if len(timeouts) <= times:
            raise error
        return "ok"

    return timeouts, attempt


def test_transient_failures_are_retried_with_growing_pauses() -> None:
    time = FakeTime()
    budget = Budget(10, monotonic=time.monotonic, sleep=time.sleep)
    timeouts, attempt = failing(3, WiseUnavailable("503"))
    assert budget.call(attempt, what="test") == "ok"
    assert len(time.sleeps) == 3
    assert time.sleeps[0] < time.sleeps[1] < time.sleeps[2] <= 0.4
    # Every attempt may use what is left of the budget, no more.
    assert timeouts[0] == 10
    assert timeouts[-1] == pytest.approx(10 - sum(time.sleeps))


def test_retry_after_is_honoured() -> None:
    time = FakeTime()
    budget = Budget(10, monotonic=time.monotonic, sleep=time.sleep)
    _, attempt = failing(1, WiseUnavailable("429", status=429, retry_after=3))
    budget.call(attempt, what="test")
    assert time.sleeps == [3.0]


def test_the_budget_ends_the_retries() -> None:
    time = FakeTime()
    budget = Budget(1, monotonic=time.monotonic, sleep=time.sleep)
    _, attempt = failing(1000, WiseUnavailable("503"))
    with pytest.raises(BudgetExhausted):
        budget.call(attempt, what="test")
    assert sum(time.sleeps) < 1


def test_a_retry_after_beyond_the_budget_ends_at_once() -> None:
    time = FakeTime()
    budget = Budget(5, monotonic=time.monotonic, sleep=time.sleep)
    _, attempt = failing(1, WiseUnavailable("503", retry_after=30))
    with pytest.raises(BudgetExhausted):
        budget.call(attempt, what="test")
    assert time.sleeps == []


def test_refusals_are_not_retried() -> None:
    time = FakeTime()
    budget = Budget(10, monotonic=time.monotonic, sleep=time.sleep)
    timeouts, attempt = failing(1, WiseApiError("400", status=400))
    with pytest.raises(WiseApiError):
        budget.call(attempt, what="test")
    assert len(timeouts) == 1
