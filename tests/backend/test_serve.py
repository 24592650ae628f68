"""``onboarding-kit serve`` under gunicorn: generated development secrets reach every worker,
and neither gunicorn nor the app prints query strings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sample_app.serving import free_port
from tests.support.factories import RETURN_URL, session_body
from tests.support.waiting import answers_ok, wait_until

KIT = Path(sys.executable).with_name("onboarding-kit")


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")},
        "ONBOARDING_ENV": "development",
        "ONBOARDING_DATABASE_URL": database_url,
        "ONBOARDING_PUBLIC_BASE_URL": f"http://localhost:{port}",
        "ONBOARDING_RETURN_URLS": RETURN_URL,
        "ONBOARDING_WISE_CLIENT_ID": "client",
        "ONBOARDING_WISE_CLIENT_SECRET": "client-secret-for-tests",
    }
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(KIT), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                lambda: answers_ok(f"{base}/healthz"), bool, timeout=30, what="gunicorn to answer"
            )
            yield base, log
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_generated_api_key_works_on_every_worker(served: tuple[str, Path]) -> None:
    base, log = served
    match = re.search(r"generated partner API key .*: (\S+)", log.read_text())
    assert match, log.read_text()
    headers = {"Authorization": f"Bearer {match.group(1)}"}
    # Many new connections spread over both workers; each must accept the same key and read
    # sessions the other created.
    created = [
        requests.post(
            f"{base}/api/v1/onboarding-sessions", json=session_body(), headers=headers, timeout=10
        )
        for _ in range(12)
    ]
    assert [r.status_code for r in created] == [201] * 12
    for response in created:
        read = requests.get(
            f"{base}/api/v1/onboarding-sessions/{response.json()['id']}",
            headers=headers,
            timeout=10,
        )
        assert read.status_code == 200


def test_serve_logs_routes_not_query_strings(served: tuple[str, Path]) -> None:
    base, log = served
    secret = "QUERYSECRET0123456789abcdefghijklmnopqrstuv"
    requests.get(f"{base}/oauth/wise/callback?state={secret}&code={secret}", timeout=10)
    requests.get(f"{base}/onboarding/launch/{secret}", timeout=10)
    wait_until(
        lambda: log.read_text(),
        lambda text: "/onboarding/launch/<token> 410" in text,
        what="the request log line",
    )
    text = log.read_text()
    assert "GET /oauth/wise/callback 400" in text
    assert secret not in text


def raw_request(base: str, data: bytes) -> bytes:
    """Send bytes as they are (no client would send these) and return what came back."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_gunicorn_never_logs_request_data(served: tuple[str, Path]) -> None:
    """Malformed requests reach gunicorn's error log; their paths and headers must not."""
    base, log = served
    secret = "LAUNCHSECRET0123456789abcdefghijklmnopqrstuv"
    malformed = [
        f"GET /onboarding/launch/{secret} HTTP/1.1 trailing\r\n\r\n",
        f"GET /oauth/wise/callback?code={secret} HTTP/9.9\r\nHost: x\r\n\r\n",
        f"GET /x HTTP/1.1\r\nHost: x\r\nCookie\x01: {secret}\r\n\r\n",
        f"POST /webhooks/wise HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        f"zz{secret}\r\n",
    ]
    for request in malformed:
        answer = raw_request(base, request.encode("latin-1"))
        # gunicorn refuses the first three; the kit itself the body it cannot read (not a 500).
        assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    wait_until(
        lambda: log.read_text().count("Invalid request from ip="),
        lambda n: n >= 3,
        what="gunicorn to log the malformed requests",
    )
    text = log.read_text()
    assert secret not in text
    assert "/onboarding/launch/" not in text
    assert "/oauth/wise/callback" not in text
    assert "Invalid request from ip=127.0.0.1: Invalid HTTP Version" in text
