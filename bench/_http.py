"""A lean keep-alive HTTP client for load generation, one per sender thread.

The load generator shares the machine's cores with the servers it measures, so it stays as cheap
as it can: ``http.client`` with one persistent connection per host, cookies and redirects handled
by the caller (a browser's few cookies are passed explicitly per journey).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urlsplit

TIMEOUT_SECONDS = 30.0
# A kept-alive connection the server closed while idle fails on first use: retry once on a new one.
STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer."""

    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str:
        """A header's value, or "" when absent."""
        return self.headers.get(name, "")

    def cookies(self) -> dict[str, str]:
        """The ``name=value`` pairs of every ``Set-Cookie`` header."""
        jar: dict[str, str] = {}
        for line in self.headers.get_all("Set-Cookie") or []:
            name, _, value = line.split(";", 1)[0].partition("=")
            jar[name.strip()] = value.strip()
        return jar

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class Client:
    """Persistent connections to any number of hosts; not thread-safe (one per thread)."""

    def __init__(self) -> None:
        self._connections: dict[str, http.client.HTTPConnection] = {}

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request on this thread's connection to the URL's host."""
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if query:
            target += ("&" if parts.query else "?") + urlencode(query)
        all_headers = dict(headers or {})
        if cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        for attempt in (1, 2):
            fresh = parts.netloc not in self._connections
            connection = self._connection(parts.netloc)
            try:
                connection.request(method, target, body=body, headers=all_headers)
                response = connection.getresponse()
                data = response.read()
            except STALE_CONNECTION:
                self._drop(parts.netloc)
                if fresh or attempt == 2:
                    raise
                continue
            if response.will_close:
                self._drop(parts.netloc)
            return Reply(response.status, response.headers, data)
        raise AssertionError("unreachable")

    def get(self, url: str, **kwargs: Any) -> Reply:
        """``GET url``."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Reply:
        """``POST url``."""
        return self.request("POST", url, **kwargs)

    def post_json(self, url: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        """``POST url`` with a JSON body."""
        return self.post(
            url,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def post_form(self, url: str, fields: dict[str, str], **kwargs: Any) -> Reply:
        """``POST url`` with a form body."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})}
        return self.post(url, body=urlencode(fields).encode(), headers=headers, **kwargs)

    def close(self) -> None:
        """Close every connection."""
        for netloc in list(self._connections):
            self._drop(netloc)

    def _connection(self, netloc: str) -> http.client.HTTPConnection:
        if netloc not in self._connections:
            self._connections[netloc] = http.client.HTTPConnection(netloc, timeout=TIMEOUT_SECONDS)
        return self._connections[netloc]

    def _drop(self, netloc: str) -> None:
        connection = self._connections.pop(netloc, None)
        if connection is not None:
            connection.close()
