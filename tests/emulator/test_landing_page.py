"""The landing page at / and /__emulator/: what the emulator is, its control API, its partner."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from sample_app.wise_emulator import EmulatorConfig, create_emulator_app

from .conftest import make_config

PARTNER_APP = "http://localhost:5002"


def links(html: str) -> dict[str, str]:
    """Map each link's text to its href."""
    return {
        re.sub(r"\s+", " ", text).strip(): href
        for href, text in re.findall(r'<a[^>]* href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    }


@pytest.fixture
def config() -> EmulatorConfig:
    """The emulator as the demo configures it: it knows where the partner app is."""
    return make_config(partner_app_url=PARTNER_APP)


@pytest.mark.parametrize("path", ["/", "/__emulator/"])
def test_landing_page_says_what_this_is_and_lists_the_control_api(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.text
    assert "<h1>Wise sandbox emulator</h1>" in html
    assert "It is\n  not Wise" in html
    assert "/oauth/authorize/" in html
    for route in (
        "POST /__emulator/reset",
        "PATCH /__emulator/settings",
        "POST /__emulator/webhooks/flush",
        "POST /__emulator/users/&lt;ref&gt;/revoke",
    ):
        assert f"<code>{route}</code>" in html
    assert "Forget everything and seed the demo users again" in html
    assert links(html)["Open Test Bank"] == PARTNER_APP
    assert "<code>ada@example.com</code>" in html


def test_landing_page_is_not_counted_as_a_request_to_wise(client: FlaskClient) -> None:
    client.get("/")
    assert "GET /" not in client.get("/__emulator/counters").json["paths"]  # type: ignore[index]


def test_without_a_partner_app_url_the_page_says_where_customers_come_from() -> None:
    app = create_emulator_app(make_config())
    try:
        html = app.test_client().get("/").text
    finally:
        app.extensions["wise_emulator"].close()
    assert not [text for text in links(html) if text.startswith("Open ")]
    assert "In the demo that is Acme Bank" in html


def test_without_the_control_api_only_wise_is_described() -> None:
    app = create_emulator_app(make_config(enable_control_api=False))
    try:
        client = app.test_client()
        html = client.get("/").text
        assert "Wise sandbox emulator" in html
        assert "/__emulator/" not in html
        assert client.get("/__emulator/").status_code == 404
    finally:
        app.extensions["wise_emulator"].close()
