"""Run the kit, the Wise emulator and Acme Bank together on loopback (``onboarding-kit demo``).

The kit and Acme are served as ``localhost`` and the emulator as ``127.0.0.1``: two different
sites, so the return from "Wise" to the kit is a cross-site navigation and cookies behave as they
do in production.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shlex
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
from cryptography.fernet import Fernet
from flask import Flask

from backend import create_app
from backend import db as database
from backend.extensions import runtime_of
from backend.services import subscriptions
from backend.worker import Worker
from sample_app.acme import AcmeConfig, create_acme_app
from sample_app.serving import ServerThread
from sample_app.wise_emulator import (
    DEMO_CLIENT,
    EmulatorConfig,
    create_emulator_app,
)

KIT_HOST = "localhost"
# The demo's worker looks for work this often when it found none.
DEMO_WORKER_POLL_SECONDS = 0.5
EMULATOR_HOST = "127.0.0.1"
APP_RETURN_URL = "acmebank://wise/return"


@dataclass(frozen=True)
class StackSecrets:
    """Secrets the three apps share; the demo keeps them in instance/ so restarts keep working."""

    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    encryption_key: str = field(default_factory=lambda: Fernet.generate_key().decode())
    kit_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    acme_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @classmethod
    def load_or_create(cls, path: Path) -> StackSecrets:
        """Read the demo's secrets from ``path``, creating the file (mode 0600) on first use."""
        if path.exists():
            return cls(**json.loads(path.read_text()))
        made = cls()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(made.__dict__, handle)
        return made


@dataclass
class Stack:
    """The three running apps and how to reach them."""

    kit: ServerThread
    emulator: ServerThread
    acme: ServerThread
    kit_app: Flask
    emulator_app: Flask
    acme_app: Flask
    secrets: StackSecrets
    # The kit's worker (webhooks, notifications, token refresh, sweeps) in a thread, when the
    # stack runs one (the demo does; tests may drive it themselves with ``stack.worker``).
    worker: Worker | None = None
    worker_thread: threading.Thread | None = None

    @property
    def kit_url(self) -> str:
        """The kit's public base URL."""
        return self.kit.url(KIT_HOST)

    @property
    def emulator_url(self) -> str:
        """The emulator's base URL (Wise's API and authorize page)."""
        return self.emulator.url(EMULATOR_HOST)

    @property
    def acme_url(self) -> str:
        """Acme Bank's base URL."""
        return self.acme.url(KIT_HOST)

    def stop(self) -> None:
        """Stop the worker, if any, and all three servers."""
        if self.worker is not None:
            self.worker.stop.set()
        if self.worker_thread is not None:
            self.worker_thread.join(timeout=30)
        for server in (self.acme, self.kit, self.emulator):
            server.stop()


def kit_config(
    *,
    kit_url: str,
    emulator_url: str,
    acme_url: str,
    database_url: str,
    stack: StackSecrets,
    webhook_public_key: str | None = None,
) -> dict[str, Any]:
    """The kit's settings for the demo stack, wired to the emulator and Acme."""
    lifecycle = {
        "ONBOARDING_WISE_CLIENT_KEY": DEMO_CLIENT.client_key,
        # The emulator signs its webhooks with its own key pair, not Wise's.
        **(
            {"ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": webhook_public_key}
            if webhook_public_key
            else {}
        ),
    }
    return {
        **lifecycle,
        "ONBOARDING_ENV": "development",
        "ONBOARDING_DATABASE_URL": database_url,
        "ONBOARDING_PUBLIC_BASE_URL": kit_url,
        "ONBOARDING_SECRET_KEY": stack.kit_secret_key,
        "ONBOARDING_API_KEYS": stack.api_key,
        "ONBOARDING_TOKEN_ENCRYPTION_KEYS": stack.encryption_key,
        "ONBOARDING_RETURN_URLS": ",".join(demo_return_urls(acme_url)),
        "ONBOARDING_WISE_CLIENT_ID": DEMO_CLIENT.client_id,
        "ONBOARDING_WISE_CLIENT_SECRET": DEMO_CLIENT.client_secret,
        "ONBOARDING_WISE_API_URL": emulator_url,
        "ONBOARDING_WISE_AUTHORIZE_URL": f"{emulator_url}/oauth/authorize/",
    }


def demo_return_urls(acme_url: str) -> list[str]:
    """The return URLs the demo's kit allows: Acme's pages and the app's custom scheme."""
    return [
        f"{acme_url}/wise/return",
        f"{acme_url}/wise/refresh",
        f"{acme_url}/wise/kyc-return",
        APP_RETURN_URL,
    ]


def build_stack(
    *,
    database_url: str,
    kit_port: int = 0,
    emulator_port: int = 0,
    acme_port: int = 0,
    stack_secrets: StackSecrets | None = None,
    kit_overrides: Mapping[str, Any] | None = None,
    emulator_config: EmulatorConfig | None = None,
    worker_poll_seconds: float | None = None,
) -> Stack:
    """Bind three loopback servers, build the apps so they know each other, and start serving.

    With ``worker_poll_seconds`` the kit's worker also runs, in a thread, as ``onboarding-kit
    worker`` does in production: webhooks are applied and notifications delivered without cron.
    Without it, ``stack.worker`` is still there for a test to run by hand (``run_once``).
    """
    shared = stack_secrets or StackSecrets()
    kit = ServerThread(port=kit_port)
    emulator = ServerThread(port=emulator_port)
    acme = ServerThread(port=acme_port)
    kit_url, emulator_url, acme_url = (
        kit.url(KIT_HOST),
        emulator.url(EMULATOR_HOST),
        acme.url(KIT_HOST),
    )
    client = replace(DEMO_CLIENT, redirect_uris=[f"{kit_url}/oauth/wise/callback"])
    emu_config = replace(
        emulator_config or EmulatorConfig(clients=[]),
        clients=[client],
        partner_app_url=acme_url,
        # The demo's kit listens on http://localhost: the demo-only switch lets Wise deliver there.
        demo_allow_loopback_http_webhooks=True,
    )
    emulator.app = create_emulator_app(emu_config)
    config = kit_config(
        kit_url=kit_url,
        emulator_url=emulator_url,
        acme_url=acme_url,
        database_url=database_url,
        stack=shared,
        webhook_public_key=emulator.app.extensions["wise_emulator"].public_key_pem(),
    )
    kit.app = create_app({**config, **(kit_overrides or {})})
    acme.app = create_acme_app(
        AcmeConfig(
            kit_url=kit_url,
            api_key=shared.api_key,
            public_url=acme_url,
            secret_key=shared.acme_secret_key,
        )
    )
    for server in (emulator, kit, acme):
        server.start()
    subscribe_kit_webhooks(kit.app, f"{kit_url}/webhooks/wise")
    runtime = runtime_of(kit.app)
    worker = Worker(runtime, poll_seconds=worker_poll_seconds or DEMO_WORKER_POLL_SECONDS)
    stack = Stack(kit, emulator, acme, kit.app, emulator.app, acme.app, shared, worker=worker)
    if worker_poll_seconds is not None:
        stack.worker_thread = threading.Thread(target=worker.run, name="kit-worker", daemon=True)
        stack.worker_thread.start()
    return stack


def subscribe_kit_webhooks(kit_app: Flask, url: str) -> None:
    """Subscribe the kit's webhook endpoint at the emulator, as ``webhooks subscribe`` does."""
    with runtime_of(kit_app).job() as ctx:
        subscriptions.subscribe(ctx=ctx, url=url, allow_loopback_http=True)


@click.command("demo")
@click.option("--kit-port", default=5000, show_default=True, type=int)
@click.option("--emulator-port", default=5001, show_default=True, type=int)
@click.option("--acme-port", default=5002, show_default=True, type=int)
@click.option(
    "--database-url",
    envvar="ONBOARDING_DATABASE_URL",
    default="sqlite:///instance/demo.db",
    show_default=True,
)
def demo_command(kit_port: int, emulator_port: int, acme_port: int, database_url: str) -> None:
    """Run Acme Bank, the kit and the Wise emulator on loopback, offline."""
    ensure_ports_free(
        {"--kit-port": kit_port, "--emulator-port": emulator_port, "--acme-port": acme_port}
    )
    database.upgrade(database_url)
    stack = build_stack(
        database_url=database_url,
        kit_port=kit_port,
        emulator_port=emulator_port,
        acme_port=acme_port,
        stack_secrets=StackSecrets.load_or_create(Path("instance/demo-secrets.json")),
        worker_poll_seconds=DEMO_WORKER_POLL_SECONDS,
    )
    allowed = "\n".join(f"  {url}" for url in demo_return_urls(stack.acme_url))
    click.echo(
        f"""
Acme Bank (open this):  {stack.acme_url}
Onboarding kit:         {stack.kit_url}
Wise emulator:          {stack.emulator_url}

Partner API key (kept in instance/demo-secrets.json; the README's curl examples use $KEY):
  export KEY={shlex.quote(stack.secrets.api_key)}
Return URLs the kit allows (ONBOARDING_RETURN_URLS):
{allowed}

Acme Bank logins (password acme-demo):
  ada@example.com          has a Wise account (Wise password wise-demo, 2FA code 111111);
                           "Create a Wise account with your Acme details" falls back to log-in
  lin@example.com          new to Wise: create an account on the Wise page
  grace@example.com        date of birth differs at Wise: the identity check fails
  mary@example.com         new to Wise: Acme pre-fills her Wise account (prefill mode)
  charles@engines.example  a business new to Wise: company, director and owner pre-filled

The kit is subscribed to the emulator's webhooks. Once linked, press "Simulate verification" on
the account page. To make Wise need more information from Ada (Hosted KYC), then reload:
  curl -X POST {stack.emulator_url}/__emulator/profiles/30000001/kyc-reviews
To revoke Ada's access at Wise:
  curl -X POST {stack.emulator_url}/__emulator/users/ada@example.com/revoke
Press Ctrl+C to stop."""
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


def ensure_ports_free(ports: Mapping[str, int]) -> None:
    """Stop with one line naming the busy port and the option that moves it, before starting.

    Another demo (or anything else) on the port would otherwise end the start-up with a
    traceback about an address in use.
    """
    for option, port in ports.items():
        if port == 0:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise click.ClickException(
                    f"port {port} is in use (is another demo running?): stop it, or move this "
                    f"app with {option}; for all three: make demo "
                    "DEMO_ARGS='--kit-port 5100 --emulator-port 5101 --acme-port 5102'"
                ) from None
