"""Serve WSGI apps on loopback in background threads, for the demo stack and the tests."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

logger = logging.getLogger(__name__)


class QuietRequestHandler(WSGIRequestHandler):
    """Request handler that writes no access log of its own.

    Werkzeug's default log line contains the full request line, query string included, and the
    OAuth legs carry codes and state in the query. Each app logs its own requests (path only).
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip werkzeug's access log line."""

    def log_error(self, format: str, *args: Any) -> None:
        """Log server errors without the request line."""
        logger.warning("server error on %s", self.path.split("?", 1)[0])


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """A threaded werkzeug server running one WSGI app until ``stop()``."""

    def __init__(self, app: Any = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        # The socket is bound here, so the port is known before the app exists: apps that must
        # know each other's URLs (the kit and the emulator) can be built after binding.
        self._server: BaseWSGIServer = make_server(
            host, port, self._dispatch, threaded=True, request_handler=QuietRequestHandler
        )
        self.app = app
        self.host = host
        self.port = int(self._server.server_port)
        # shutdown() waits until the serving loop next looks at its flag, up to one poll interval.
        # Most tests stop a stack of three servers, one after another: 10 ms instead of 50 cut
        # a stack's stop from about 95 ms to 17; an idle wake-up every 10 ms costs next to nothing.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"wsgi-{self.port}",
            daemon=True,
        )

    def _dispatch(self, environ: Any, start_response: Any) -> Any:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return self.app(environ, start_response)

    def url(self, hostname: str | None = None) -> str:
        """The base URL of this server, optionally under another name for the same address."""
        return f"http://{hostname or self.host}:{self.port}"

    def start(self) -> ServerThread:
        """Start serving in a daemon thread; the socket is already listening."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
