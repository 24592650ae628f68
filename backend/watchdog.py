"""One timer thread per process for every deadline: outbound calls and database statements.

Blocking socket calls cannot be interrupted from their own thread, so a wall-clock bound needs a
second thread that acts when the time is up (it shuts the socket down, which wakes the blocked
call with an error). Starting a ``threading.Timer`` per call costs a thread per call; here one
daemon thread serves them all, and arming or disarming a deadline is a heap push under a lock.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Alarm:
    """A pending deadline; ``cancel`` it when the guarded work finished in time."""

    __slots__ = ("_action", "_cancelled", "fired")

    def __init__(self, action: Callable[[], None]) -> None:
        self._action = action
        self._cancelled = False
        self.fired = False

    def cancel(self) -> None:
        """Make sure the action will not run (a no-op once it has)."""
        self._cancelled = True

    def _fire(self) -> None:
        if self._cancelled:
            return
        self.fired = True
        try:
            self._action()
        except Exception:
            logger.exception("a deadline's action failed")


class Watchdog:
    """Runs actions when their deadlines pass, from one daemon thread."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, Alarm]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, seconds: float, action: Callable[[], None]) -> Alarm:
        """Run ``action`` in ``seconds`` unless the returned alarm is cancelled first."""
        alarm = Alarm(action)
        due = time.monotonic() + seconds
        with self._lock:
            self._ensure_thread()
            heapq.heappush(self._heap, (due, next(self._order), alarm))
            if self._heap[0][2] is alarm:
                self._lock.notify()  # an earlier deadline than the thread is waiting for
        return alarm

    def _ensure_thread(self) -> None:
        # A forked child (gunicorn workers) inherits the lock but not the thread: start its own.
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._heap = []
            self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap:
                    self._lock.wait()
                due, _, alarm = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._heap)
            alarm._fire()


WATCHDOG = Watchdog()
