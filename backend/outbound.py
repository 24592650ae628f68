"""Outbound HTTP with a wall-clock deadline.

``requests`` timeouts bound each socket operation, not a whole call: a peer that answers one byte
at a time keeps a call alive for as long as it likes. Leases (token refresh, notification
delivery) must outlive the call they protect, so they need a real bound. ``deadline(seconds)``
gives one: every connection used inside it registers its socket, and when the time is up the
process's watchdog thread (``backend.watchdog``, one for all deadlines) shuts those sockets down,
which ends the call with a ``requests.RequestException``.

The hook is urllib3's documented extension point (a pool's ``ConnectionCls``, a pool manager's
``pool_classes_by_scheme``), mounted on a session through ``DeadlineAdapter``.

Proxies and the CA bundle come from the environment as ``requests`` reads them (``HTTPS_PROXY``,
``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``), but once,
when the client is made (``Environment``), instead of on every call; ``.netrc`` is never read.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from backend.watchdog import WATCHDOG

_current = threading.local()
SessionT = TypeVar("SessionT", bound=requests.Session)


class Deadline:
    """The sockets of one call and the timer that closes them when time is up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        """Close ``sock`` at the deadline (at once if it already passed)."""
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # shutdown() (not close()) wakes a thread blocked in recv() on the same socket; OSError means
    # its owner already closed it.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Bound every call made in this block (on sessions with ``DeadlineAdapter``) to ``seconds``."""
    limit = Deadline(seconds)
    outer = getattr(_current, "deadline", None)
    _current.deadline = limit
    alarm = WATCHDOG.arm(seconds, limit._expire)
    try:
        yield limit
    finally:
        alarm.cancel()
        _current.deadline = outer


class _WatchedMixin:
    """Registers the connection's socket with the running deadline before each request."""

    sock: socket.socket | None
    connect: Any  # provided by the urllib3 connection class this is mixed into

    def request(self, *args: Any, **kwargs: Any) -> Any:
        limit: Deadline | None = getattr(_current, "deadline", None)
        if limit is not None:
            if self.sock is None:
                self.connect()
            if self.sock is not None:
                limit.watch(self.sock)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    """A plain connection that honours the deadline."""


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    """A TLS connection that honours the deadline."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections honour ``deadline()``, directly and through HTTP proxies."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager with deadline-aware pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """Proxy managers get the same pools (SOCKS proxies keep their own)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # the same test requests itself uses
            manager.pool_classes_by_scheme = POOLS
        return manager


def mount(session: requests.Session) -> requests.Session:
    """Make every call of ``session`` honour ``deadline()``; returns the session."""
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class Environment:
    """Proxy and CA-bundle settings for calls to one base URL, read from the environment once."""

    proxies: dict[str, str] = field(default_factory=dict)
    verify: bool | str = True

    @classmethod
    def read(cls, url: str) -> Environment:
        """What ``requests`` would read for ``url`` on every call (``trust_env``), read now."""
        # NO_PROXY is honoured here: a host it covers gets no proxy at all.
        proxies = requests.utils.get_environ_proxies(url)
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        return cls({k: v for k, v in proxies.items() if k != "no"}, bundle or True)

    def apply(self, session: SessionT) -> SessionT:
        """Give ``session`` these settings and the deadline, and stop it reading the environment."""
        session.trust_env = False
        session.proxies.update(self.proxies)
        session.verify = self.verify
        mount(session)
        return session
