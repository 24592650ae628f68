"""The wall-clock deadline on outbound calls, against peers that answer one byte at a time."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from backend.clock import SystemClock
from backend.outbound import deadline, mount
from backend.settings import load_settings
from backend.wise import WiseClient
from tests.support.factories import kit_config

GUARD_SECONDS = 20  # far beyond the deadlines below; only a hang reaches it


class Trickler:
    """A TCP server that answers every request one byte per interval, for ever."""

    def __init__(self, *, in_headers: bool) -> None:
        self.stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.in_headers = in_headers
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            if not self.in_headers:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            try:
                while not self.stop.wait(0.05):
                    conn.sendall(b"x")
            except OSError:
                return


@pytest.fixture(params=[True, False], ids=["trickled-headers", "trickled-body"])
def trickler(request: pytest.FixtureRequest) -> Iterator[Trickler]:
    server = Trickler(in_headers=request.param)
    yield server
    server.stop.set()
    server.server.close()


def call_in_thread(target: object) -> dict[str, object]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = target()  # type: ignore[operator]
        except requests.RequestException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(GUARD_SECONDS)
    outcome["finished"] = not worker.is_alive()
    return outcome


def test_deadline_ends_a_trickling_call(trickler: Trickler) -> None:
    session = mount(requests.Session())

    def post() -> object:
        # The per-read timeout alone would never fire: a byte arrives every 0.05 s.
        with deadline(0.5) as limit:
            try:
                return session.post(
                    f"http://127.0.0.1:{trickler.port}/", data=b"{}", timeout=(5, 5)
                )
            finally:
                assert limit.expired

    outcome = call_in_thread(post)
    assert outcome["finished"]
    assert isinstance(outcome.get("error"), requests.RequestException)


def test_calls_within_the_deadline_are_untouched(stack: object) -> None:
    session = mount(requests.Session())
    with deadline(10) as limit:
        response = session.get(f"{stack.kit_url}/healthz", timeout=5)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert not limit.expired


@pytest.mark.parametrize("call", ["token", "api"])
def test_wise_calls_are_bounded_by_connect_plus_read_timeout(
    trickler: Trickler, database_url: str, call: str
) -> None:
    from backend.clock import SystemClock
    from backend.settings import load_settings
    from backend.wise import WiseClient, WiseUnavailable
    from tests.support.factories import kit_config

    settings = load_settings(
        kit_config(
            database_url=database_url,
            ONBOARDING_WISE_API_URL=f"http://127.0.0.1:{trickler.port}",
            ONBOARDING_WISE_CONNECT_TIMEOUT="0.2",
            ONBOARDING_WISE_READ_TIMEOUT="0.3",
        )
    )
    client = WiseClient(settings, SystemClock())

    def wise_call() -> object:
        try:
            if call == "token":
                return client.exchange_code(code="a-code")
            return client.get_profile(access_token="a-token", profile_id=1)
        except WiseUnavailable as exc:
            return exc

    outcome = call_in_thread(wise_call)
    assert outcome["finished"]
    assert isinstance(outcome["result"], WiseUnavailable)


class FakeWise:
    """An HTTP/1.1 server answering every token and API call; records requests and connections.

    As an HTTP proxy it sees absolute URLs in the request line, which is how the tests tell a
    proxied call from a direct one.
    """

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.connections = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                fake.connections += 1
                super().setup()

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(f"{self.command} {self.path}")
                token = {"access_token": "t", "token_type": "bearer", "expires_in": 3600}
                body = json.dumps(token if "/oauth/token" in self.path else {"id": 1}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def fake_wise() -> Iterator[FakeWise]:
    server = FakeWise()
    yield server
    server.server.shutdown()
    server.server.server_close()


def wise_client(database_url: str, api_url: str) -> WiseClient:
    settings = load_settings(kit_config(database_url=database_url, ONBOARDING_WISE_API_URL=api_url))
    return WiseClient(settings, SystemClock())


def test_wise_calls_use_the_proxy_the_environment_names_at_start(
    fake_wise: FakeWise, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", fake_wise.url)
    # A name that never resolves: only the proxy can answer for it.
    client = wise_client(database_url, "http://wise.invalid")
    # The environment is read when the client is made, not on every call.
    monkeypatch.delenv("HTTP_PROXY")
    client.client_credentials_token()
    client.get_profile(access_token="t", profile_id=1)
    client.close()
    assert fake_wise.requests == [
        "POST http://wise.invalid/oauth/token",
        "GET http://wise.invalid/v2/profiles/1",
    ]


def test_no_proxy_in_the_environment_is_honoured(
    fake_wise: FakeWise, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = wise_client(database_url, fake_wise.url)
    client.client_credentials_token()
    client.close()
    assert fake_wise.requests == ["POST /oauth/token"]


def test_token_exchanges_of_one_thread_share_a_keep_alive_connection(
    fake_wise: FakeWise, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = wise_client(database_url, fake_wise.url)
    for _ in range(3):
        assert client.client_credentials_token().access_token == "t"
    assert fake_wise.connections == 1
    # Another thread gets a token client (and connection) of its own.
    other = threading.Thread(target=client.client_credentials_token)
    other.start()
    other.join(GUARD_SECONDS)
    client.close()
    assert fake_wise.connections == 2
    assert len(fake_wise.requests) == 4
