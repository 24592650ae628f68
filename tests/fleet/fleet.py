"""A production-shaped fleet on loopback: nginx terminating TLS in front of three kit instances,
two workers, PostgreSQL (behind a proxy the test can freeze), Redis, and the Wise emulator.

Every part is a real process started the way an operator would start it (``onboarding-kit
serve``, ``onboarding-kit worker``, ``onboarding-kit emulator``, ``nginx``); the fleet can kill
any of them with SIGKILL and start it again on the same port. ``close`` stops everything it
started, whatever happened.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sample_app.serving import free_port
from sample_app.wise_emulator import DEMO_CLIENT, EmulatorControl
from tests.lifecycle.helpers import Signer
from tests.support.db_proxy import FreezableProxy
from tests.support.waiting import wait_until

KIT = Path(sys.executable).with_name("onboarding-kit")
API_KEY = "fleet-partner-key-0123456789abcdefghijklmnopqrs"
# A second partner, so the rate-limit check has an allowance nothing else has touched.
LIMITED_API_KEY = "fleet-limited-key-0123456789abcdefghijklmnopq"
API_LIMIT = 90
RETURN_URL = "https://app.fleet.test/wise/return"
INSTANCES = 3
WORKERS = 2


def nginx_binary() -> str | None:
    """The nginx executable, if installed (Debian puts it in /usr/sbin)."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, made for this run only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fleet.crt", folder / "fleet.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
    upstream kits {{
{servers}
        keepalive 32;
    }}
    upstream kit1 {{ server 127.0.0.1:{port1}; }}
    upstream kit2 {{ server 127.0.0.1:{port2}; }}
    server {{
        listen 127.0.0.1:{https_port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        # Which instance answered, so the journey can show it crossed instances.
        add_header X-Upstream $upstream_addr always;
        # The journey is pinned: launched on the first instance, returning on the second.
        location /onboarding/launch/ {{ proxy_pass http://kit1; }}
        location /oauth/wise/callback {{ proxy_pass http://kit2; }}
        location / {{ proxy_pass http://kits; }}
    }}
}}
"""


@dataclass
class Process:
    """One started process: how to start it again, and where its output goes."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (or start again) with the same command line and environment."""
        with self.log.open("ab") as sink:
            # Its own process group: a kill reaches gunicorn's worker processes too, as a
            # container or systemd kill would; otherwise an orphaned worker keeps the port.
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as in a crash or an OOM kill."""
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Fleet:
    """The running fleet and the handles a test needs."""

    folder: Path
    postgres_url: str
    redis_url: str
    signer: Signer = field(default_factory=Signer)
    https_port: int = field(default_factory=free_port)
    emulator_port: int = field(default_factory=free_port)
    kit_ports: list[int] = field(default_factory=lambda: [free_port() for _ in range(INSTANCES)])
    kits: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    others: list[Process] = field(default_factory=list)
    proxy: FreezableProxy | None = None
    cert: Path | None = None

    @property
    def url(self) -> str:
        """The fleet's public https URL (through nginx)."""
        return f"https://localhost:{self.https_port}"

    @property
    def emulator_url(self) -> str:
        """The Wise emulator."""
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def wise(self) -> EmulatorControl:
        """The emulator's control API."""
        return EmulatorControl(self.emulator_url)

    def http(self, api_key: str = API_KEY) -> requests.Session:
        """A partner backend's session: the fleet's certificate trusted, the API key sent."""
        session = requests.Session()
        # REQUESTS_CA_BUNDLE and friends would override a session's own ``verify``.
        session.trust_env = False
        session.verify = str(self.cert)
        session.headers["Authorization"] = f"Bearer {api_key}"
        return session

    def start(self) -> Fleet:
        """Start every part and wait until the fleet answers through nginx."""
        self.cert, key = self_signed(self.folder)
        self.proxy, through = FreezableProxy.in_front_of(self.postgres_url)
        env = self._kit_env(through)
        emulator = Process(
            "emulator",
            [
                str(KIT), "emulator", "--port", str(self.emulator_port),
                "--redirect-uri", f"{self.url}/oauth/wise/callback",
            ],
            env,
            self.folder / "emulator.log",
        )  # fmt: skip
        self.others.append(emulator)
        emulator.start()
        for index, port in enumerate(self.kit_ports, start=1):
            argv = [
                str(KIT), "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", "1", "--threads", "8",
            ]  # fmt: skip
            self.kits.append(Process(f"kit{index}", argv, env, self.folder / f"kit{index}.log"))
        for index in range(1, WORKERS + 1):
            argv = [str(KIT), "worker", "--poll-seconds", "0.2"]
            self.workers.append(
                Process(f"worker{index}", argv, env, self.folder / f"worker{index}.log")
            )
        for process in [*self.kits, *self.workers]:
            process.start()
        nginx = self._nginx(key)
        self.others.append(nginx)
        nginx.start()
        wait_until(lambda: self._answers(f"{self.emulator_url}/__emulator/"), bool, timeout=60)
        for port in self.kit_ports:
            self.wait_for_kit(port)
        wait_until(lambda: self._answers(f"{self.url}/readyz"), bool, timeout=60)
        return self

    def wait_for_kit(self, port: int) -> None:
        """Wait until one kit instance answers its readiness probe."""
        wait_until(
            lambda: self._answers(f"http://127.0.0.1:{port}/readyz"),
            bool,
            timeout=90,
            what=f"the kit on port {port}",
        )

    def restart(self, process: Process) -> None:
        """Start a killed process again, as its supervisor would."""
        process.start()
        if process in self.kits:
            self.wait_for_kit(self.kit_ports[self.kits.index(process)])

    def close(self) -> None:
        """Stop everything this fleet started."""
        for process in [*self.others[::-1], *self.workers, *self.kits]:
            with contextlib.suppress(Exception):
                process.stop()
        if self.proxy is not None:
            self.proxy.close()

    def logs(self) -> str:
        """Every process's output, for a failure message."""
        return "\n".join(
            f"--- {p.name}\n{p.log.read_text(errors='replace')[-4000:]}"
            for p in [*self.kits, *self.workers, *self.others]
            if p.log.exists()
        )

    # -- internals ----------------------------------------------------------------------------

    def _kit_env(self, database_url: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
        settings: dict[str, Any] = {
            "ONBOARDING_ENV": "development",
            "ONBOARDING_SECRET_KEY": "fleet-" + "k" * 48,
            "ONBOARDING_API_KEYS": f"{API_KEY},{LIMITED_API_KEY}",
            "ONBOARDING_TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ONBOARDING_DATABASE_URL": database_url,
            "ONBOARDING_REDIS_URL": self.redis_url,
            "ONBOARDING_PUBLIC_BASE_URL": self.url,
            "ONBOARDING_RETURN_URLS": RETURN_URL,
            "ONBOARDING_TRUSTED_PROXY_COUNT": "1",
            "ONBOARDING_WISE_API_URL": self.emulator_url,
            "ONBOARDING_WISE_AUTHORIZE_URL": f"{self.emulator_url}/oauth/authorize/",
            "ONBOARDING_WISE_CLIENT_ID": DEMO_CLIENT.client_id,
            "ONBOARDING_WISE_CLIENT_SECRET": DEMO_CLIENT.client_secret,
            "ONBOARDING_WISE_CLIENT_KEY": DEMO_CLIENT.client_key,
            "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": self.signer.public_pem,
            # A killed worker's items come back after 10 s rather than a minute: a shorter test.
            "ONBOARDING_WORKER_LEASE_SECONDS": "10",
            "ONBOARDING_DATABASE_STATEMENT_TIMEOUT_SECONDS": "2",
            "ONBOARDING_DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
            "ONBOARDING_DATABASE_POOL_TIMEOUT_SECONDS": "2",
            # The flood and the storm come from one address; the rate-limit check has its own key.
            "ONBOARDING_RATE_LIMIT_BROWSER": "100000/minute",
            "ONBOARDING_RATE_LIMIT_WEBHOOKS": "100000/minute",
            "ONBOARDING_RATE_LIMIT_API": f"{API_LIMIT}/minute",
            "ONBOARDING_LOG_LEVEL": "WARNING",
        }
        return {**keep, **{k: str(v) for k, v in settings.items()}}

    def _nginx(self, key: Path) -> Process:
        binary = nginx_binary()
        assert binary is not None
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=1s;"
            for port in self.kit_ports
        )
        conf = self.folder / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                folder=self.folder,
                servers=servers,
                port1=self.kit_ports[0],
                port2=self.kit_ports[1],
                https_port=self.https_port,
                cert=self.cert,
                key=key,
            )
        )
        argv = [binary, "-c", str(conf), "-p", str(self.folder), "-g", "daemon off;"]
        return Process("nginx", argv, dict(os.environ), self.folder / "nginx.log")

    def _answers(self, url: str) -> bool:
        try:
            verify: str | bool = str(self.cert) if url.startswith("https") else True
            return requests.get(url, timeout=5, verify=verify).status_code == 200
        except requests.RequestException:
            return False
