"""Helpers to drive the kit over HTTP the way a partner backend and a browser would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask

from backend.extensions import runtime_of
from backend.worker import Worker
from tests.support.factories import API_KEY, session_body

TIMEOUT = 15


@dataclass(frozen=True)
class Launched:
    """What a browser holds after the launch redirect."""

    session_id: str
    authorize_url: str
    state: str
    cookie_name: str
    cookie_value: str

    @property
    def cookies(self) -> dict[str, str]:
        """The binding cookie, as the launching browser would send it back."""
        return {self.cookie_name: self.cookie_value}


class KitApi:
    """A partner backend's view of the kit (API key) plus a browser's launch step."""

    def __init__(self, base_url: str, api_key: str = API_KEY) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    def create_session(self, **overrides: Any) -> dict[str, Any]:
        """Create a session and return the 201 body."""
        response = self.http.post(
            f"{self.base_url}/api/v1/onboarding-sessions",
            json=session_body(**overrides),
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def get_session(self, session_id: str) -> dict[str, Any]:
        """Read a session."""
        response = self.http.get(
            f"{self.base_url}/api/v1/onboarding-sessions/{session_id}", timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def get_link(self, external_id: str = "c-123") -> dict[str, Any]:
        """Read a customer's link."""
        response = self.http.get(
            f"{self.base_url}/api/v1/customers/{external_id}/wise-link", timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def launch(self, launch_url: str, session_id: str) -> Launched:
        """Follow the launch link as a fresh browser and keep what it would hold."""
        response = requests.get(launch_url, allow_redirects=False, timeout=TIMEOUT)
        assert response.status_code == 303, response.text
        location = response.headers["Location"]
        state = parse_qs(urlsplit(location).query)["state"][0]
        (cookie,) = list(response.cookies)
        return Launched(session_id, location, state, cookie.name, cookie.value or "")

    def callback(self, params: dict[str, str], cookies: dict[str, str] | None) -> requests.Response:
        """Hit the OAuth return as the browser would, without following the redirect."""
        return requests.get(
            f"{self.base_url}/oauth/wise/callback",
            params=params,
            cookies=cookies or {},
            allow_redirects=False,
            timeout=TIMEOUT,
        )


def run_worker(app: Flask) -> None:
    """Run the kit's worker on ``app`` until it finds nothing to do, as the worker process would."""
    Worker(runtime_of(app)).drain()
