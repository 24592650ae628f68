"""``onboarding-kit config check``: the effective settings, secrets masked, and every problem."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click
from dotenv import dotenv_values

from backend.context import Runtime
from backend.services import setup_check
from backend.settings import SECRET_FIELDS, Settings, SettingsError, env_name, load_settings


@click.group()
def config() -> None:
    """Inspect the service's configuration."""


@config.command()
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Check this env file (NAME=value lines); variables already set in the environment win.",
)
@click.option(
    "--wise",
    "with_wise",
    is_flag=True,
    help="Also check the set-up against Wise itself: credentials, webhook URL and "
    "subscriptions, and the database.",
)
def check(env_file: str | None, with_wise: bool) -> None:
    """Print the effective settings (secrets masked) and every problem; exit 1 on any problem.

    With --wise, also ask Wise and the database whether a real journey can work.
    """
    environ: dict[str, Any] = {}
    if env_file:
        environ.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    environ.update(os.environ)
    try:
        settings: Settings | None = load_settings(environ)
        problems: list[str] = []
    except SettingsError as exc:
        settings, problems = None, exc.problems
    width = max(len(env_name(field)) for field in Settings.model_fields)
    for field, value in effective(environ, settings).items():
        click.echo(f"{env_name(field):<{width}}  {value}")
    if settings is not None and settings.generated:
        click.echo("")
        for name in settings.generated:
            click.echo(f"note: {name} is not set; a random value is generated per process")
    if problems:
        click.echo("")
        click.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        if with_wise:
            click.echo("Wise set-up not checked: fix the settings first.", err=True)
        raise SystemExit(1)
    click.echo("")
    click.echo("configuration OK")
    if with_wise and settings is not None:
        _check_wise(settings)


def _check_wise(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    try:
        findings = setup_check.check_wise_setup(runtime)
    finally:
        runtime.close()
    click.echo("")
    click.echo(f"Wise set-up ({settings.wise_api_url}):")
    for finding in findings:
        click.echo(f"  {finding.outcome.upper():<5} {finding.name}: {finding.detail}")
    failed = sum(finding.failed for finding in findings)
    click.echo("")
    if failed:
        click.echo(f"{failed} check(s) failed", err=True)
        raise SystemExit(1)
    click.echo("Wise set-up OK: a sandbox journey can run")


def effective(environ: Mapping[str, Any], settings: Settings | None) -> dict[str, str]:
    """Each setting's value as the service would use it, secrets masked.

    When the configuration is invalid (``settings`` is None) the raw values are shown instead,
    with the default for unset ones.
    """
    shown: dict[str, str] = {}
    for field, info in Settings.model_fields.items():
        if field == "generated":
            continue
        raw = str(environ.get(env_name(field), "")).strip()
        if settings is not None:
            value: Any = getattr(settings, field)
            generated = env_name(field) in settings.generated
        else:
            value, generated = raw or info.default, False
            if field == "wise_webhook_public_keys" and raw:
                value = (raw,)
        shown[field] = _render(field, value, generated=generated, explicit=bool(raw))
    return shown


def _render(field: str, value: Any, *, generated: bool, explicit: bool) -> str:
    if generated:
        return "(generated for this process)"
    if isinstance(value, tuple):
        if field == "wise_webhook_public_keys":
            return f"{len(value)} PEM key(s)" if explicit else "Wise's published key"
        value = ",".join(value)
    text = str(value)
    if field in SECRET_FIELDS and text:
        return _mask(field, text)
    return text if text else "(not set)"


def _mask(field: str, text: str) -> str:
    """Enough to recognise a value, never enough to use it."""
    if field in ("database_url", "redis_url"):
        from sqlalchemy.engine import make_url

        try:
            return make_url(text).render_as_string(hide_password=True)
        except Exception:  # any URL it cannot parse is shown masked, never raw
            return "****"
    count = len([part for part in text.split(",") if part])
    return f"**** ({count} value{'s' if count != 1 else ''}, {len(text)} characters)"
