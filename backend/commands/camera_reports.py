"""``onboarding-kit camera-reports``: list what devices' camera-check pages reported."""

from __future__ import annotations

import json

import click

from backend.commands import command_runtime
from backend.services import camera_checks


@click.command("camera-reports")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print the full reports as JSON lines.")
def camera_reports(limit: int, as_json: bool) -> None:
    """List the newest camera-check reports, failures first in each line."""
    with command_runtime() as runtime, runtime.job() as ctx:
        rows = camera_checks.latest_reports(ctx=ctx, limit=limit)
    if not rows:
        click.echo("no camera-check reports yet")
        return
    for row in rows:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "received_at": row.received_at.isoformat(),
                        "report": json.loads(row.report_json),
                    }
                )
            )
            continue
        failed = ", ".join(camera_checks.failed_checks(row)) or "-"
        click.echo(
            f"{row.received_at:%Y-%m-%d %H:%M:%S}  {row.embedding or 'unknown':<16} "
            f"passed {row.passed:>2} failed {row.failed:>2} skipped {row.skipped:>2}  "
            f"failed: {failed}  [{row.user_agent[:60]}]"
        )
