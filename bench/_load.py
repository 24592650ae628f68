"""Load generation: run operations from concurrent sender threads and measure what they cost.

Each sender thread has its own keep-alive ``Client``. A burst either works through a list of items
or runs until a deadline; either way it reports the wall time from the moment every sender is
ready to the last answer, each operation's latency, and the CPU the measured processes spent.
"""

from __future__ import annotations

import itertools
import os
import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from bench._http import Client
from bench._processes import Process

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Burst(Generic[R]):
    """What one burst did: results in item order, latencies in seconds, wall time, CPU."""

    results: list[R]
    latencies: list[float]
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)
    load: float = 0.0

    @property
    def ops(self) -> int:
        """Operations completed."""
        return len(self.latencies)


class CpuMeter:
    """CPU seconds each named process spent between ``__enter__`` and ``__exit__``."""

    def __init__(self, processes: Mapping[str, Process]) -> None:
        self.processes = dict(processes)
        self.spent: dict[str, float] = {}
        self._start: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        self._start = {name: p.cpu_seconds() for name, p in self.processes.items()}
        return self

    def __exit__(self, *exc: object) -> None:
        for name, process in self.processes.items():
            self.spent[name] = process.cpu_seconds() - self._start[name]


def load_average() -> float:
    """The one-minute load average of the machine."""
    return os.getloadavg()[0]


def run_items(
    work: Callable[[Client, T], R],
    items: Sequence[T],
    concurrency: int,
    measure: Mapping[str, Process] | None = None,
) -> Burst[R]:
    """Run ``work`` once per item from ``concurrency`` senders; each item is taken once."""
    results: list[R | None] = [None] * len(items)
    latencies: list[float] = [0.0] * len(items)
    counter = itertools.count()

    def sender(client: Client, stop: threading.Event) -> None:
        while not stop.is_set():
            index = next(counter)
            if index >= len(items):
                return
            started = time.perf_counter()
            results[index] = work(client, items[index])
            latencies[index] = time.perf_counter() - started

    seconds, cpu, load = _run_senders(sender, concurrency, measure or {})
    return Burst(cast(list[R], results), latencies, seconds, cpu, load)


def run_for(
    work: Callable[[Client], bool],
    duration: float,
    concurrency: int,
    measure: Mapping[str, Process] | None = None,
) -> Burst[None]:
    """Repeat ``work`` from ``concurrency`` senders for ``duration`` seconds.

    ``work`` returns False when it had nothing left to do (that call is not counted). Operations
    in flight at the deadline finish and count.
    """
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = [0.0]

    def sender(client: Client, stop: threading.Event) -> None:
        mine = []
        while not stop.is_set() and time.perf_counter() < deadline[0]:
            started = time.perf_counter()
            if not work(client):
                break
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    def start() -> None:
        deadline[0] = time.perf_counter() + duration

    seconds, cpu, load = _run_senders(sender, concurrency, measure or {}, on_start=start)
    return Burst([], latencies, seconds, cpu, load)


def _run_senders(
    sender: Callable[[Client, threading.Event], None],
    concurrency: int,
    measure: Mapping[str, Process],
    on_start: Callable[[], None] = lambda: None,
) -> tuple[float, dict[str, float], float]:
    """Start the senders together and wait for all; the first failure stops the rest, raised."""
    stop = threading.Event()
    ready = threading.Barrier(concurrency + 1)
    failures: list[BaseException] = []

    def thread_main() -> None:
        client = Client()
        try:
            ready.wait()
            sender(client, stop)
        except BaseException as exc:  # re-raised in the main thread
            failures.append(exc)
            stop.set()
        finally:
            client.close()

    threads = [threading.Thread(target=thread_main, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    load = load_average()
    with CpuMeter(measure) as meter:
        on_start()
        started = time.perf_counter()
        ready.wait()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    return seconds, meter.spent, load


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    if pct >= 100:
        return max(values)
    return statistics.quantiles(values, n=1000, method="inclusive")[round(pct * 10) - 1]
