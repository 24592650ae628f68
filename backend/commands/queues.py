"""What the ``failed`` and ``retry`` sub-commands of ``webhooks`` and ``notifications`` share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import click

from backend.commands import command_runtime
from backend.context import Context


def list_parked(
    rows_of: Callable[[Context], Sequence[Any]], describe: Callable[[Any], str], what: str
) -> None:
    """Print parked rows, one line each, with the reason they were parked."""
    with command_runtime() as runtime, runtime.job() as ctx:
        rows = rows_of(ctx)
    if not rows:
        click.echo(f"no parked {what}")
        return
    for row in rows:
        click.echo(describe(row))
    click.echo(f"{len(rows)} parked {what}; put them back with `retry ID` or `retry --all`")


def put_back(
    retry: Callable[[Context, Sequence[int] | None], int],
    ids: tuple[int, ...],
    every: bool,
    what: str,
) -> None:
    """Return parked rows to their queue: the given ids, or all of them with ``--all``."""
    if bool(ids) == every:
        raise click.UsageError("give the ids to retry, or --all (not both)")
    with command_runtime() as runtime, runtime.job() as ctx:
        count = retry(ctx, None if every else list(ids))
    click.echo(f"{count} {what} back in the queue; the worker picks them up")
    if ids and count < len(ids):
        raise click.ClickException(f"{len(ids) - count} of the given ids are not parked {what}")


def when(moment: datetime | None) -> str:
    """A timestamp for a listing."""
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "-"
