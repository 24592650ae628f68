"""Launch leg: single use, expiry, browser binding, redirect to Wise's authorize page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.security import hash_secret
from sample_app.serving import ServerThread
from tests.support.factories import RETURN_URL, session_body
from tests.support.postgres import ON_BOTH_DATABASES


def create(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/onboarding-sessions", json=session_body(**overrides), headers=headers
    )
    assert response.status_code == 201
    return response.json  # type: ignore[return-value]


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_launch_redirects_to_wise_with_client_redirect_uri_and_fresh_state(
    client: FlaskClient, api_headers: dict[str, str], app: Flask
) -> None:
    created = create(client, api_headers)
    response = client.get(path_of(created["launch_url"]))
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    settings = runtime_of(app).settings
    assert f"{location.scheme}://{location.netloc}{location.path}" == settings.wise_authorize_url
    query = parse_qs(location.query)
    assert query["client_id"] == ["acme-bank-demo"]
    assert query["redirect_uri"] == ["http://localhost:5000/oauth/wise/callback"]
    assert len(query["state"][0]) >= 43
    assert "claim_account_code" not in query
    assert response.headers["Cache-Control"] == "no-store"
    # Only the hash of the state is stored.
    with runtime_of(app).job() as ctx:
        row = ctx.db.execute(text("SELECT state_hash, status FROM onboarding_session")).one()
    assert row.state_hash == hash_secret(query["state"][0])
    assert row.status == "launched"


def test_launch_sets_a_bound_httponly_lax_cookie(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    created = create(client, api_headers)
    response = client.get(path_of(created["launch_url"]))
    (header,) = response.headers.getlist("Set-Cookie")
    cookie = SimpleCookie(header)["wise_onboarding"]
    assert len(cookie.value) >= 43
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    # http public URL in tests, so no Secure flag; the https case is covered below.
    assert not cookie["secure"]


def test_cookie_is_secure_and_host_prefixed_under_https(
    config: dict[str, Any], api_headers: dict[str, str]
) -> None:
    from backend import create_app

    app = create_app({**config, "ONBOARDING_PUBLIC_BASE_URL": "https://kit.bank.test"})
    client = app.test_client()
    created = create(client, api_headers)
    response = client.get(path_of(created["launch_url"]), base_url="https://kit.bank.test")
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-wise_onboarding=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in header
    assert "Domain" not in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_launch_link_works_once(client: FlaskClient, api_headers: dict[str, str]) -> None:
    created = create(client, api_headers)
    assert client.get(path_of(created["launch_url"])).status_code == 303
    again = client.get(path_of(created["launch_url"]))
    assert again.status_code == 410
    assert "text/html" in again.headers["Content-Type"]
    html = again.get_data(as_text=True)
    assert "no longer valid" in html
    # The session is known, so the page offers the way back to the app.
    assert f'href="{RETURN_URL}?session_id={created["id"]}&amp;status=expired"' in html


def test_expired_link_is_410_with_a_way_back_to_the_app(
    client: FlaskClient, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    created = create(client, api_headers, ttl_seconds=60)
    clock.advance(60)
    response = client.get(path_of(created["launch_url"]))
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert f'href="{RETURN_URL}?session_id={created["id"]}&amp;status=expired"' in html
    status = client.get(f"/api/v1/onboarding-sessions/{created['id']}", headers=api_headers)
    assert status.json["status"] == "expired"


@pytest.mark.parametrize("token", ["unknown-token", "x" * 500, "%2e%2e"])
def test_unknown_token_is_410_without_a_link(client: FlaskClient, token: str) -> None:
    response = client.get(f"/onboarding/launch/{token}")
    assert response.status_code == 410
    assert "return-link" not in response.get_data(as_text=True)


def test_head_request_does_not_spend_the_token(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    created = create(client, api_headers)
    assert client.head(path_of(created["launch_url"])).status_code == 204
    assert client.get(path_of(created["launch_url"])).status_code == 303


def test_launch_without_wise_credentials_keeps_the_link_usable(
    config: dict[str, Any], api_headers: dict[str, str]
) -> None:
    from backend import create_app

    app = create_app({**config, "ONBOARDING_WISE_CLIENT_SECRET": ""})
    client = app.test_client()
    created = create(client, api_headers)
    response = client.get(path_of(created["launch_url"]))
    assert response.status_code == 503
    status = client.get(f"/api/v1/onboarding-sessions/{created['id']}", headers=api_headers)
    assert status.json["status"] == "created"


@pytest.fixture
def kit_server(app: Flask) -> Iterator[str]:
    """The kit on a real threaded HTTP server."""
    with ServerThread(app) as server:
        yield server.url("localhost")


@ON_BOTH_DATABASES
def test_concurrent_redeems_have_exactly_one_winner(
    kit_server: str, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    created = create(client, api_headers)
    url = kit_server + path_of(created["launch_url"])
    start = threading.Barrier(20)

    def redeem(_: int) -> int:
        start.wait()
        return requests.get(url, allow_redirects=False, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(redeem, range(20)))
    assert statuses.count(303) == 1
    assert statuses.count(410) == 19
