"""Self-service refresh: a dead launch link sends the browser to the partner's refresh URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend import create_app
from backend.clock import FrozenClock
from tests.support.factories import APP_RETURN_URL, QUERY_RETURN_URL, RETURN_URL, session_body

URL = "/api/v1/onboarding-sessions"


def create(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json=session_body(**overrides), headers=headers)
    assert response.status_code == 201, response.json
    return dict(response.json)


def path_of(url: str) -> str:
    return urlsplit(url).path


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize(
    "refresh_url", ["https://evil.example/refresh", "", RETURN_URL + "/", "javascript:alert(1)"]
)
def test_refresh_url_must_be_on_the_allowlist(
    client: FlaskClient, api_headers: dict[str, str], refresh_url: str
) -> None:
    response = client.post(URL, json=session_body(refresh_url=refresh_url), headers=api_headers)
    assert response.status_code == 400
    assert (response.json["error"], response.json["field"]) == ("invalid_return_url", "refresh_url")


def test_an_expired_link_sends_the_browser_to_the_refresh_url(
    client: FlaskClient, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    created = create(client, api_headers, refresh_url=QUERY_RETURN_URL, ttl_seconds=60)
    read = client.get(f"{URL}/{created['id']}", headers=api_headers).json
    assert read["refresh_url"] == QUERY_RETURN_URL
    clock.advance(60)
    response = client.get(path_of(created["launch_url"]))
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("https://app.example/wise/return?")
    # The refresh URL's own query is kept.
    assert query(location) == {"tenant": "eu", "session_id": created["id"], "reason": "expired"}
    assert client.get(f"{URL}/{created['id']}", headers=api_headers).json["status"] == "expired"


def test_a_used_link_sends_the_browser_to_the_refresh_url(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    created = create(client, api_headers, refresh_url=APP_RETURN_URL)
    first = client.get(path_of(created["launch_url"]))
    assert first.status_code == 303
    assert first.headers["Location"].startswith("http://127.0.0.1:")  # Wise
    again = client.get(path_of(created["launch_url"]))
    assert again.status_code == 303
    assert again.headers["Location"].startswith(APP_RETURN_URL + "?")
    assert query(again.headers["Location"]) == {"session_id": created["id"], "reason": "used"}


def test_without_a_refresh_url_a_dead_link_is_still_a_page(
    client: FlaskClient, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    created = create(client, api_headers, ttl_seconds=60)
    clock.advance(60)
    response = client.get(path_of(created["launch_url"]))
    assert response.status_code == 410
    assert "no longer valid" in response.get_data(as_text=True)


def test_a_refresh_url_taken_off_the_allowlist_is_not_followed(
    config: dict[str, Any], app: Flask, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    created = create(app.test_client(), api_headers, refresh_url=APP_RETURN_URL, ttl_seconds=60)
    narrower = create_app({**config, "ONBOARDING_RETURN_URLS": RETURN_URL})
    clock.advance(60)
    response = narrower.test_client().get(path_of(created["launch_url"]))
    assert response.status_code == 410
    assert "Location" not in response.headers


def test_an_unknown_link_has_no_session_and_no_refresh(client: FlaskClient) -> None:
    response = client.get("/onboarding/launch/never-issued-token-value-0123456789")
    assert response.status_code == 410
