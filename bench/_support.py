"""Shared pieces for benchmarks: the result type and side-by-side timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """Two medians measured in the same run, and their ratio against a target."""

    name: str
    subject: str
    baseline: str
    subject_ms: float
    baseline_ms: float
    iterations: int
    target: float

    @property
    def ratio(self) -> float:
        """Subject time over baseline time."""
        return self.subject_ms / self.baseline_ms

    def report(self) -> str:
        """One line per measurement."""
        return (
            f"{self.name}: {self.subject} median {self.subject_ms:.2f} ms vs "
            f"{self.baseline} median {self.baseline_ms:.2f} ms over {self.iterations} runs"
        )


def interleaved(
    subject: Callable[[int], None], baseline: Callable[[int], None], iterations: int
) -> tuple[float, float]:
    """Time both callables alternately (so drift hits both alike); return the median ms of each."""
    subject_ms: list[float] = []
    baseline_ms: list[float] = []
    for i in range(iterations):
        for fn, sink in ((baseline, baseline_ms), (subject, subject_ms)):
            started = time.perf_counter()
            fn(i)
            sink.append((time.perf_counter() - started) * 1000)
    return statistics.median(subject_ms), statistics.median(baseline_ms)
