"""``onboarding-kit serve``: run the service under gunicorn."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from backend.settings import SettingsError, load_settings


class _Gunicorn(BaseApplication):
    """Gunicorn driven from Python; each worker builds its own app from the environment."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 25.1+ opens a control socket at one path per user, so instances on one
            # host would take it from each other; the kit is managed by signals instead.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from backend import create_app
        from backend.metrics import count_in_shared_files

        count_in_shared_files()
        return create_app()


def _worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges leave the metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _metrics_folder() -> str | None:
    """Give gunicorn's workers one folder to count in, so a scrape adds all of them up.

    Made fresh for this run (prometheus-client wants it empty at start) unless the operator set
    PROMETHEUS_MULTIPROC_DIR; returns the folder to remove on exit, if it is ours.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    folder = tempfile.mkdtemp(prefix="onboarding-kit-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; keep loopback behind a TLS proxy, 0.0.0.0 for all interfaces.",
)
@click.option("--port", default=5000, show_default=True, type=int, help="TCP port to listen on.")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Gunicorn worker processes (about one per core).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads per worker; each serves one request at a time.",
)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the kit with gunicorn, configured from ONBOARDING_* variables."""
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    # Secrets generated in development must be the same in every worker, so they are made once
    # here and handed down through the environment.
    os.environ.update(settings.generated_values())
    if "ONBOARDING_API_KEYS" in settings.generated:
        click.echo(
            "development only: generated partner API key (set ONBOARDING_API_KEYS to choose one): "
            + settings.api_keys[0],
            err=True,
        )
    ours = _metrics_folder()
    try:
        _serve(host, port, workers, threads)
    finally:
        if ours:
            shutil.rmtree(ours, ignore_errors=True)


def _serve(host: str, port: int, workers: int, threads: int) -> None:
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # Gunicorn's access log would print query strings (OAuth codes and state); the app
            # logs each request itself, by route.
            "accesslog": None,
            "errorlog": "-",
            # Its error log prints malformed request lines and URIs as they came: redacted.
            "logger_class": "backend.gunicorn_logging.RedactingLogger",
            "timeout": 60,
            "child_exit": _worker_exited,
        }
    ).run()
