"""The home page at /: what the service is, where its API lives, and nothing of its settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from backend import create_app
from tests.backend.test_settings import STRONG


def links(html: str) -> list[str]:
    """The targets of the page's links, in order."""
    return re.findall(r'<a[^>]* href="([^"]+)"', html)


@pytest.fixture
def production(tmp_path: Path) -> FlaskClient:
    """A kit configured for production, on a database that does not even exist."""
    missing = tmp_path / "nowhere" / "kit.db"
    return create_app({**STRONG, "ONBOARDING_DATABASE_URL": f"sqlite:///{missing}"}).test_client()


def test_the_home_page_says_what_this_service_is(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h1>Wise onboarding service</h1>" in html
    assert "<code>/api/v1/</code>" in html
    assert links(html) == ["/api/v1/docs", "/api/v1/openapi.json", "/healthz", "/readyz"]
    for href in links(html):
        assert client.get(href).status_code == 200, href


def test_outside_production_it_points_to_the_demo_partner_app(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="demo-hint"' in html
    assert "Acme Bank" in html
    assert "<code>make demo</code>" in html


def test_in_production_it_shows_no_setting_and_no_demo(production: FlaskClient) -> None:
    response = production.get("/")
    assert response.status_code == 200  # without a database: the page needs none
    html = response.get_data(as_text=True)
    for name, values in STRONG.items():
        for value in values.split(","):
            if value not in ("production", "sqlite://"):
                assert value not in html, name
    assert "Acme" not in html
    assert "demo" not in html.lower()


def test_head_answers_like_get_without_a_body(client: FlaskClient) -> None:
    response = client.head("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data() == b""


def test_the_page_keeps_the_kit_csp_and_is_not_cached(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert "<script" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/index.html", "/home", "/nope"])
def test_other_paths_are_still_a_friendly_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["Content-Type"]
    assert "Page not found" in response.get_data(as_text=True)


def test_the_api_still_answers_json_404(client: FlaskClient, api_headers: dict[str, Any]) -> None:
    response = client.get("/api/v1/nope", headers=api_headers)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
