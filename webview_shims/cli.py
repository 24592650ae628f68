"""``onboarding-kit shims``: generate the webview shims, or check the committed ones are fresh."""

from __future__ import annotations

from pathlib import Path

import click
from jinja2 import TemplateError

from webview_shims.config import DEFAULT_CONFIG_PATH, ConfigError, ShimsConfig, load_config
from webview_shims.render import (
    DEFAULT_OUTPUT_DIR,
    OutputDirError,
    diff_tree,
    render_files,
    write_tree,
)

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_CONFIG_PATH,
    show_default="webview_shims/shims.toml",
    help="The shims.toml to read.",
)
out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_OUTPUT_DIR,
    show_default="webview_shims/generated",
    help="The directory the shims are written to (replaced as a whole).",
)


def _load(config_path: Path) -> ShimsConfig:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        # A file-level problem (unreadable, not TOML) already names the file as its "field".
        where = "" if exc.field == str(config_path) else f"{config_path}: "
        raise click.ClickException(f"{where}{exc}") from exc


def _render(config: ShimsConfig) -> dict[str, str]:
    try:
        return render_files(config)
    except (TemplateError, ValueError) as exc:
        raise click.ClickException(f"rendering failed, nothing was written: {exc}") from exc


@click.group()
def shims() -> None:
    """Webview shims for iOS, Android, React Native and Flutter."""


@shims.command()
@config_option
@out_option
def generate(config_path: Path, out_dir: Path) -> None:
    """Render the shims from the config into the output directory."""
    config = _load(config_path)
    files = _render(config)
    try:
        write_tree(files, out_dir)
    except OutputDirError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {len(files)} files for {', '.join(config.platforms)} to {out_dir}")


@shims.command()
@config_option
@out_option
def check(config_path: Path, out_dir: Path) -> None:
    """Fail when the output directory differs from a fresh render of the config."""
    config = _load(config_path)
    differences = diff_tree(_render(config), out_dir)
    if differences:
        click.echo(f"{out_dir} is out of date with {config_path}:", err=True)
        for line in differences:
            click.echo(line, err=True)
        raise click.ClickException(
            f"run `onboarding-kit shims generate --config {config_path} --out {out_dir}` "
            "and commit the result"
        )
    click.echo(f"{out_dir} is up to date")
