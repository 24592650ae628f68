"""The wall-clock deadline on outbound calls, against peers that answer one byte at a time."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from backend.outbound import deadline, mount

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
