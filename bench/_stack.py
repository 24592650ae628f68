"""The servers a comparison runs: the Wise emulator, the kit (and its worker), the baseline app.

The bench drives the kit only as an operator and a partner would: its command line, ``ONBOARDING_*``
variables (the demo's ``kit_config``) and HTTP. Both the kit and the baseline are served by
gunicorn with the same settings, against the same emulator, from processes started here.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from bench._events import Event, EventPool, Signer
from bench._http import Client
from bench._plan import Plan
from bench._processes import ROOT, Process, Processes, executable, gunicorn_argv
from bench._report import Sample
from bench.baselines import BaselineSettings
from bench.baselines.storage import create_schema
from sample_app.demo import StackSecrets, kit_config
from sample_app.serving import free_port
from sample_app.wise_emulator import DEMO_CLIENT, EmulatorControl

HOST = "127.0.0.1"
WORKERS = 2
THREADS = 8
# A Wise user whose personal profile has this date of birth (the emulator's demo data).
WISE_USER = "ada@example.com"
DATE_OF_BIRTH = "1990-04-01"
# Every request of the bench comes from one address and one API key, thousands a minute: the
# limits are raised through the kit's own settings, so the limiter still runs (and is measured).
RATE_LIMITS = {
    f"ONBOARDING_RATE_LIMIT_{group}": "1000000/minute"
    for group in ("API", "BROWSER", "WEBHOOKS", "AUTH_FAILURES")
}


@dataclass(frozen=True)
class Pending:
    """A browser between its redirect to Wise and its return: the state and its cookies."""

    customer: str
    state: str
    cookies: dict[str, str]
    redirect_uri: str


class Side(Protocol):
    """One side of a comparison: the kit or the baseline, served by gunicorn."""

    server: Process

    def begin(self, client: Client, customer: str) -> Pending:
        """Send a customer off to Wise's authorize page."""

    def finish(self, client: Client, pending: Pending, params: dict[str, str]) -> None:
        """Bring the customer back from Wise; the link must succeed."""

    def webhook(self, client: Client, event: Event) -> None:
        """Deliver one Wise webhook; it must be acknowledged."""

    def token(self, client: Client, customer: str) -> None:
        """Read a linked customer's access token."""


def base_env() -> dict[str, str]:
    """The bench's environment without any ``ONBOARDING_*`` settings of the caller's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}


@dataclass
class Wise:
    """The Wise emulator, under gunicorn."""

    process: Process
    url: str
    redirect_uris: tuple[str, ...] = ()

    @classmethod
    def start(cls, processes: Processes, key_file: Path) -> Wise:
        """Serve the emulator with the bench's webhook key."""
        port = free_port(HOST)
        url = f"http://{HOST}:{port}"
        env = {**base_env(), "BENCH_EMULATOR_WEBHOOK_KEY_FILE": str(key_file)}
        # One worker: the emulator's state is in memory. It gets the kit's total thread count.
        argv = gunicorn_argv(
            "bench.emulator_app:create_app()", port=port, workers=1, threads=WORKERS * THREADS
        )
        process = processes.start("wise-emulator", argv, env, url=url, ready_path="/__emulator/")
        return cls(process, url)

    def allow(self, redirect_uri: str) -> None:
        """Register one more redirect URI for the demo client (exact match at Wise)."""
        self.redirect_uris = (*self.redirect_uris, redirect_uri)
        client = replace(DEMO_CLIENT, redirect_uris=list(self.redirect_uris))
        EmulatorControl(self.url).register_client(
            client.client_id, client.client_secret, client.client_key, client.redirect_uris
        )

    def consent(self, client: Client, pending: Pending) -> dict[str, str]:
        """The customer's consent at Wise: the callback's query (code, state, profileId)."""
        reply = client.post_json(
            f"{self.url}/__emulator/authorize",
            {
                "client_id": DEMO_CLIENT.client_id,
                "redirect_uri": pending.redirect_uri,
                "email": WISE_USER,
                "state": pending.state,
            },
        )
        assert reply.status == 200, reply.body
        query = urlsplit(reply.json()["redirect_url"]).query
        return {k: v[0] for k, v in parse_qs(query).items()}


@dataclass
class Kit:
    """The onboarding kit under ``onboarding-kit serve``, with its worker when asked."""

    server: Process
    url: str
    api_key: str
    database_url: str
    # The partner's return page (allowlisted; the bench never follows the redirect to it).
    return_url: str
    worker: Process | None = None

    @classmethod
    def start(
        cls,
        processes: Processes,
        *,
        name: str,
        database_url: str,
        wise: Wise,
        signer: Signer,
        partner_url: str,
        worker: bool,
    ) -> Kit:
        """Migrate, subscribe to Wise's webhooks, serve (2 x 8) and start one worker if asked."""
        port = free_port(HOST)
        url = f"http://{HOST}:{port}"
        shared = StackSecrets()
        env = {
            **base_env(),
            **kit_config(
                kit_url=url,
                emulator_url=wise.url,
                acme_url=partner_url,
                database_url=database_url,
                stack=shared,
                webhook_public_key=signer.public_pem,
            ),
            **RATE_LIMITS,
        }
        kit = executable("onboarding-kit")
        _run([kit, "db", "upgrade"], env, processes.log_dir / f"{name}-setup.log")
        wise.allow(f"{url}/oauth/wise/callback")
        # `webhooks subscribe` rightly refuses http on a loopback port; see bench/_subscribe.py.
        _run(
            [sys.executable, "-m", "bench._subscribe", f"{url}/webhooks/wise"],
            env,
            processes.log_dir / f"{name}-setup.log",
        )
        argv = [kit, "serve", "--host", HOST, "--port", str(port)]
        argv += ["--workers", str(WORKERS), "--threads", str(THREADS)]
        server = processes.start(name, argv, env, url=url, ready_path="/readyz")
        started = cls(server, url, shared.api_key, database_url, f"{partner_url}/wise/return")
        if worker:
            started.worker = processes.start(f"{name}-worker", [kit, "worker"], env)
        return started

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def begin(self, client: Client, customer: str) -> Pending:
        """Create a session through the partner API, then follow its launch link."""
        created = client.post_json(
            f"{self.url}/api/v1/onboarding-sessions",
            {
                "customer": {
                    "external_id": customer,
                    "email": WISE_USER,
                    "date_of_birth": DATE_OF_BIRTH,
                    "type": "personal",
                },
                "return_url": self.return_url,
            },
            headers=self._auth(),
        )
        assert created.status == 201, created.body
        launched = client.get(created.json()["launch_url"])
        assert launched.status == 303, launched.body
        state = parse_qs(urlsplit(launched.header("Location")).query)["state"][0]
        return Pending(customer, state, launched.cookies(), f"{self.url}/oauth/wise/callback")

    def finish(self, client: Client, pending: Pending, params: dict[str, str]) -> None:
        """The OAuth return; the kit must redirect with ``status=linked``."""
        reply = client.get(pending.redirect_uri, query=params, cookies=pending.cookies)
        assert reply.status == 303, reply.body
        assert "status=linked" in reply.header("Location"), reply.header("Location")

    def webhook(self, client: Client, event: Event) -> None:
        """``POST /webhooks/wise`` with a correctly signed, new event."""
        reply = client.post(f"{self.url}/webhooks/wise", body=event.body, headers=event.headers)
        assert reply.status == 200, reply.body
        assert reply.json()["duplicate"] is False, "every bench event is new"

    def token(self, client: Client, customer: str) -> None:
        """``POST .../wise-link/access-token``."""
        reply = client.post(
            f"{self.url}/api/v1/customers/{customer}/wise-link/access-token",
            headers=self._auth(),
        )
        assert reply.status == 200, reply.body


@dataclass
class Baseline:
    """The hand-written partner app (``bench.baselines``) under gunicorn with the kit's settings."""

    server: Process
    url: str

    @classmethod
    def start(cls, processes: Processes, *, database_url: str, wise: Wise, port: int) -> Baseline:
        """Create its token table in ``database_url`` and serve it (2 x 8)."""
        url = f"http://{HOST}:{port}"
        settings = BaselineSettings(
            database_url=database_url,
            public_url=url,
            wise_api_url=wise.url,
            wise_authorize_url=f"{wise.url}/oauth/authorize/",
            client_id=DEMO_CLIENT.client_id,
            client_secret=DEMO_CLIENT.client_secret,
            secret_key=secrets.token_urlsafe(48),
        )
        create_schema(database_url)
        wise.allow(f"{url}/wise/callback")
        argv = gunicorn_argv(
            "bench.baselines:create_app()", port=port, workers=WORKERS, threads=THREADS
        )
        env = {**base_env(), **settings.as_env()}
        server = processes.start("baseline", argv, env, url=url, ready_path="/healthz")
        return cls(server, url)

    def begin(self, client: Client, customer: str) -> Pending:
        """Press "Connect": ``POST /wise/start``, redirected to Wise's authorize page."""
        reply = client.post_form(
            f"{self.url}/wise/start", {"customer_id": customer, "date_of_birth": DATE_OF_BIRTH}
        )
        assert reply.status == 302, reply.body
        state = parse_qs(urlsplit(reply.header("Location")).query)["state"][0]
        return Pending(customer, state, reply.cookies(), f"{self.url}/wise/callback")

    def finish(self, client: Client, pending: Pending, params: dict[str, str]) -> None:
        """The OAuth return; the app must redirect with ``status=linked``."""
        reply = client.get(pending.redirect_uri, query=params, cookies=pending.cookies)
        assert reply.status == 303, reply.body
        assert "status=linked" in reply.header("Location"), reply.header("Location")

    def webhook(self, client: Client, event: Event) -> None:
        """``POST /webhooks/wise``, acknowledged with a bare 200."""
        reply = client.post(f"{self.url}/webhooks/wise", body=event.body, headers=event.headers)
        assert reply.status == 200, reply.body

    def token(self, client: Client, customer: str) -> None:
        """``GET /customers/<id>/wise-token``: one row."""
        reply = client.get(f"{self.url}/customers/{customer}/wise-token")
        assert reply.status == 200, reply.body


def link(side: Side, wise: Wise, customer: str) -> None:
    """Link ``customer`` through the real flow: begin, consent at Wise, finish."""
    client = Client()
    try:
        pending = side.begin(client, customer)
        side.finish(client, pending, wise.consent(client, pending))
    finally:
        client.close()


def _run(argv: list[str], env: dict[str, str], log_path: Path) -> None:
    with log_path.open("ab") as log:
        done = subprocess.run(  # noqa: S603 - argv is built by the bench
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"{' '.join(argv[1:])} failed:\n{tail}")


@dataclass
class Deployment:
    """Everything one database's comparisons run against."""

    database: str
    kind: str
    workdir: Path
    plan: Plan
    processes: Processes
    signer: Signer
    wise: Wise
    kit: Kit
    baseline: Baseline
    events: EventPool


def one_run(
    run: int, kit: Kit, baseline: Baseline, burst: Callable[[Side, Sample], None]
) -> tuple[Sample, Sample]:
    """One run of bursts in turn, each side's into its own sample: the kit's and the baseline's.

    The order is ABBA, then BAAB in the next run, so drift within a run hits both sides alike.
    """
    samples: dict[bool, Sample] = {True: Sample(), False: Sample()}
    pair: list[Side] = [kit, baseline] if run % 2 == 0 else [baseline, kit]
    for side in [*pair, *reversed(pair)]:
        burst(side, samples[side is kit])
    return samples[True], samples[False]
