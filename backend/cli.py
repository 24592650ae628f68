"""The ``onboarding-kit`` command: one entry point for the service, the demo and the generators."""

from __future__ import annotations

import importlib
from typing import Any

import click
from dotenv import load_dotenv

# Sub-commands are imported on first use: `onboarding-kit serve` should not pay for importing the
# emulator, the demo or the shim generator, and each part stays importable on its own.
LAZY_COMMANDS: dict[str, str] = {
    "serve": "backend.commands.serve:serve",
    "db": "backend.commands.db:db",
    "config": "backend.commands.config:config",
    "sessions": "backend.commands.sessions:sessions",
    "camera-reports": "backend.commands.camera_reports:camera_reports",
    "openapi": "backend.commands.openapi:openapi",
    "refresh-tokens": "backend.commands.links:refresh_tokens",
    "rotate-keys": "backend.commands.links:rotate_keys",
    "webhooks": "backend.commands.webhooks:webhooks",
    "notifications": "backend.commands.notifications:notifications",
    "worker": "backend.commands.worker:worker",
    "purge": "backend.commands.purge:purge",
    "demo": "sample_app.demo:demo_command",
    "emulator": "sample_app.wise_emulator.cli:emulator",
    "shims": "webview_shims.cli:shims",
}


DEMO_NOT_INSTALLED = (
    "the demo and the Wise emulator are not part of a production install: they live in the "
    "source checkout (sample_app/). In a clone of the repository run `make demo`, or install the "
    "demo extra from it: pip install -e '.[demo]'"
)


class LazyGroup(click.Group):
    """A click group whose sub-commands live in other modules and load when called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """List eager and lazy commands together, sorted."""
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the command, importing its module if it is a lazy one."""
        if cmd_name in LAZY_COMMANDS:
            module_name, attr = LAZY_COMMANDS[cmd_name].split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == "sample_app" or (exc.name or "").startswith("sample_app."):
                    raise click.UsageError(DEMO_NOT_INSTALLED) from None
                raise
            command: Any = getattr(module, attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup)
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Read settings from this env file (NAME=value lines); the environment wins.",
)
def main(env_file: str | None) -> None:
    """Wise onboarding kit: partner backend, Wise emulator, demo and webview shims."""
    if env_file:
        # Loaded into os.environ so every sub-command, and the workers `serve` starts, see it.
        # No implicit `.env` lookup: a stray file must never change what a command does.
        load_dotenv(env_file, override=False)
