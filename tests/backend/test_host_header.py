"""No absolute URL is ever built from the Host header, including Werkzeug's own redirects."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

EVIL = "evil.example"
PATHS = [
    "/oauth//wise/callback?code=C&state=S",
    "//oauth/wise/callback?code=C&state=S",
    "/oauth/wise/callback/?code=C&state=S",
    "/onboarding//launch/token",
    "/onboarding/launch/token/",
    "/api/v1//onboarding-sessions",
    "/api/v1/onboarding-sessions/",
    "/webview//camera-check",
    "/healthz/",
    "/static//kit.css",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_no_redirect_follows_the_host_header(client: FlaskClient, path: str, method: str) -> None:
    response = client.open(path, method=method, headers={"Host": EVIL})
    location = response.headers.get("Location", "")
    assert EVIL not in location, f"{method} {path} -> {response.status_code} {location}"
    assert response.status_code not in (301, 302, 307, 308), (path, response.status_code)


def test_the_reported_path_is_not_found_rather_than_redirected(client: FlaskClient) -> None:
    response = client.get("/oauth//wise/callback?code=C&state=S", headers={"Host": EVIL})
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_no_route_ends_with_a_slash(client: FlaskClient) -> None:
    """A rule ending in "/" makes Werkzeug redirect "path" to "path/" through the Host header."""
    rules = [rule.rule for rule in client.application.url_map.iter_rules()]
    assert [rule for rule in rules if rule.endswith("/") and rule != "/"] == []
