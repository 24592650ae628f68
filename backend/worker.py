"""The worker: one long-running process that does all of the kit's background work.

Web requests only store: a Wise webhook is verified, stored and answered; a link change queues a
partner notification in the same transaction. The worker then applies stored webhooks, delivers
notifications, refreshes tokens that are due, asks Wise for the verification status of links just
made, settles stale sessions and purges rows past their retention period
(``backend.services.retention``). Every job is a
compare-and-set on database rows, so any number of workers may run on one database and each item
is done once.

``onboarding-kit worker`` runs ``Worker.run`` until SIGTERM or Ctrl+C: the item in progress is
finished, then the loop ends. A worker killed outright loses nothing: what it had claimed is
claimed again once its lease runs out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.context import Context, Runtime
from backend.services import (
    kyc_launch,
    notifications,
    onboarding,
    retention,
    tokens,
    verification,
    webhooks,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One kind of background work: how to run one batch of it, and how often."""

    name: str
    # Runs one batch; asks the callable between items whether to go on (the stop signal).
    run: Callable[[Context, Callable[[], bool]], int]
    # Seconds between runs while it finds nothing to do; work found means "go round at once".
    interval: float


def _apply_webhooks(ctx: Context, keep_going: Callable[[], bool]) -> int:
    report = webhooks.process_pending(ctx=ctx, limit=100, keep_going=keep_going)
    return report.processed + report.failed


def _deliver_notifications(ctx: Context, keep_going: Callable[[], bool]) -> int:
    report = notifications.deliver_due(ctx=ctx, limit=100, keep_going=keep_going)
    return report.delivered


def _refresh_tokens(ctx: Context, keep_going: Callable[[], bool]) -> int:
    counts = tokens.refresh_due(ctx=ctx, keep_going=keep_going)
    return counts["refreshed"]


def _check_verification(ctx: Context, keep_going: Callable[[], bool]) -> int:
    return verification.check_due(ctx=ctx, keep_going=keep_going)


def _settle_sessions(ctx: Context, keep_going: Callable[[], bool]) -> int:
    return onboarding.sweep(ctx=ctx) + kyc_launch.sweep(ctx=ctx)


def _purge(ctx: Context, keep_going: Callable[[], bool]) -> int:
    deleted = retention.purge(ctx=ctx, keep_going=keep_going)
    if any(deleted.values()):
        logger.info("retention: deleted %s", ", ".join(f"{k} {v}" for k, v in deleted.items()))
    # Purging is housekeeping: however much went, it does not make the worker go round again.
    return 0


def default_jobs(poll_seconds: float) -> tuple[Job, ...]:
    """The jobs of a worker: queues every round, housekeeping less often."""
    return (
        Job("webhooks", _apply_webhooks, poll_seconds),
        Job("notifications", _deliver_notifications, poll_seconds),
        Job("token-refresh", _refresh_tokens, max(poll_seconds, 30.0)),
        # Right after a link: found by the same poll as the queues.
        Job("verification", _check_verification, poll_seconds),
        Job("sessions", _settle_sessions, max(poll_seconds, 60.0)),
        Job("retention", _purge, 3600.0),
    )


@dataclass
class Worker:
    """Runs the jobs against one runtime until ``stop`` is set."""

    runtime: Runtime
    poll_seconds: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)
    jobs: tuple[Job, ...] = ()
    _next_run: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.jobs:
            self.jobs = default_jobs(self.poll_seconds)

    def run(self) -> None:
        """Run until ``stop`` is set; the batch in progress is finished first."""
        logger.info("worker started: %s", ", ".join(job.name for job in self.jobs))
        while not self.stop.is_set():
            busy = self.run_due()
            if not busy:
                self.stop.wait(self.poll_seconds)
        logger.info("worker stopped")

    def run_due(self) -> bool:
        """Run every job whose time has come; tell whether any of them found work."""
        busy = False
        for job in self.jobs:
            if self.stop.is_set():
                break
            now = time.monotonic()
            if self._next_run.get(job.name, 0.0) > now:
                continue
            done = self._run_job(job)
            # A job that found work runs again next round; an idle one waits its interval.
            self._next_run[job.name] = now if done else now + job.interval
            busy = busy or done > 0
        return busy

    def run_once(self) -> dict[str, int]:
        """Run every job once, whatever its interval; return what each did (tests, scripts)."""
        return {job.name: self._run_job(job) for job in self.jobs}

    def drain(self, *, rounds: int = 50) -> None:
        """Run all jobs until none finds work (at most ``rounds`` times); for tests and scripts."""
        for _ in range(rounds):
            if not any(self.run_once().values()):
                return

    def _run_job(self, job: Job) -> int:
        try:
            with self.runtime.job() as ctx:
                return job.run(ctx, lambda: not self.stop.is_set())
        except Exception:
            # The database may be down or Wise failing: log, and try again next round.
            logger.exception("worker job %s failed; retrying next round", job.name)
            return 0
