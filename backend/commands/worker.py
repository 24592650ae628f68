"""``onboarding-kit worker``: the long-running process for all background work."""

from __future__ import annotations

import os
import signal
from types import FrameType

import click
from prometheus_client import CollectorRegistry

from backend.commands import command_runtime
from backend.context import Runtime
from backend.worker import Worker


def serve_metrics(runtime: Runtime) -> None:
    """Serve the worker's metrics on ONBOARDING_WORKER_METRICS_ADDRESS, if set."""
    address = runtime.settings.worker_metrics_address
    if not address:
        return
    from prometheus_client import start_http_server

    from backend.metrics import QueueCollector

    host, _, port = address.rpartition(":")
    registry = metrics_registry()
    registry.register(QueueCollector(runtime))
    start_http_server(int(port), addr=host.strip("[]"), registry=registry)
    click.echo(f"worker metrics on http://{address}/metrics")


def metrics_registry() -> CollectorRegistry:
    """The counters this worker keeps (with PROMETHEUS_MULTIPROC_DIR: every process's)."""
    from prometheus_client import REGISTRY
    from prometheus_client.multiprocess import MultiProcessCollector

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY  # this process is the worker and nothing else
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


@click.command()
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0.05, max=60),
    default=None,
    help="How long to wait before looking for work again when there was none "
    "(default: ONBOARDING_WORKER_POLL_SECONDS, 1).",
)
@click.option("--once", is_flag=True, help="Run every job once until none finds work, then exit.")
def worker(poll_seconds: float | None, once: bool) -> None:
    """Apply Wise webhooks, deliver partner notifications, refresh tokens, settle sessions.

    Run one or more next to the web processes (any number on PostgreSQL, one on SQLite). SIGTERM
    or Ctrl+C finishes the work in progress, then stops.
    """
    with command_runtime() as runtime:
        poll_seconds = poll_seconds or runtime.settings.worker_poll_seconds
        serve_metrics(runtime)
        work = Worker(runtime, poll_seconds=poll_seconds)
        if once:
            work.drain()
            click.echo("worker: nothing left to do")
            return

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            # Only a flag: the item in progress is finished and recorded before the loop ends.
            work.stop.set()

        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
        click.echo(f"worker running (polling every {poll_seconds:g} s); SIGTERM or Ctrl+C stops it")
        try:
            work.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        click.echo("worker stopped")
