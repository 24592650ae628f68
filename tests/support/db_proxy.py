"""A TCP proxy in front of a database that can stop answering on demand.

While frozen it still accepts connections and takes in whatever clients send, but forwards
nothing either way: to the kit it looks exactly like a database that accepts connections and never
answers (a hung server, a network partition behind a load balancer). Thawing forwards what was
held back, in order, and the connections carry on.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

from sqlalchemy.engine import make_url


class FreezableProxy:
    """Listens on a free loopback port and relays to ``target`` until ``freeze()``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._open = threading.Event()
        self._open.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="db-proxy", daemon=True).start()

    @classmethod
    def in_front_of(cls, url: str) -> tuple[FreezableProxy, str]:
        """A proxy for a PostgreSQL URL, and the same URL pointing through the proxy."""
        parsed = make_url(url)
        proxy = cls(parsed.host or "127.0.0.1", parsed.port or 5432)
        through = parsed.set(host="127.0.0.1", port=proxy.port)
        return proxy, through.render_as_string(hide_password=False)

    def freeze(self) -> None:
        """Stop answering: nothing more is forwarded in either direction."""
        self._open.clear()

    def thaw(self) -> None:
        """Answer again, starting with what was held back."""
        self._open.set()

    def close(self) -> None:
        """Stop accepting and drop every connection."""
        self._closed = True
        self._open.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in [self._listener, *sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> FreezableProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self._open.wait()  # frozen: hold the bytes until thawed
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
