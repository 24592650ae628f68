"""The OpenAPI document: valid 3.1, one operation per route, served, written by the command."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from backend import errors
from backend.app import register_blueprints
from backend.cli import main
from backend.openapi import build_document

# Deliberately outside the contract: the home page, the customer's browser legs (onboarding and
# Hosted KYC), the probes, the Prometheus scrape (its format is Prometheus's), static files, the
# /.well-known/ files that phones fetch, and the contract's own routes.
OUT_OF_CONTRACT = {
    "home.index",
    "journey.launch",
    "journey.callback",
    "kyc.launch",
    "kyc.wise_return",
    "camera_check.page",
    "health.healthz",
    "health.readyz",
    "metrics.metrics",
    "static",
    "app_links.apple_app_site_association_file",
    "app_links.asset_links_file",
    "api_docs.openapi_document",
    "api_docs.reference_page",
    "api_docs.static",
}
IGNORED_METHODS = {"HEAD", "OPTIONS"}  # Flask answers them for every route by itself


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


@pytest.fixture
def document(app: Flask) -> dict[str, Any]:
    return build_document(app, server_url="http://localhost:5000")


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_is_in_the_document_and_nothing_else(
    app: Flask, document: dict[str, Any]
) -> None:
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in OUT_OF_CONTRACT
        for method in (rule.methods or set()) - IGNORED_METHODS
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes - documented == set(), "routes the document lacks (add @contract to them)"
    assert documented - routes == set(), "operations no route serves"
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert known >= OUT_OF_CONTRACT, "an excluded endpoint no longer exists: update the list"


def test_each_operation_lists_the_errors_it_can_answer(document: dict[str, Any]) -> None:
    session = document["paths"]["/api/v1/onboarding-sessions"]["post"]
    assert "security" not in session  # the document's default: the partner API key
    assert document["security"] == [{"partnerApiKey": []}]
    statuses = set(session["responses"])
    assert statuses == {"201", "400", "401", "409", "413", "422", "429", "503"}
    codes = session["responses"]["400"]["content"]["application/json"]["schema"]["properties"]
    assert codes["error"]["enum"] == [
        "invalid_idempotency_key",
        "invalid_request",
        "invalid_return_url",
    ]
    header_names = {p["name"] for p in session["parameters"] if p["in"] == "header"}
    assert header_names == {"Idempotency-Key"}
    token = document["paths"]["/api/v1/customers/{external_id}/wise-link/access-token"]["post"]
    assert set(token["responses"]) >= {"200", "404", "409", "429", "500", "503"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "Retry-After" in responses["503"]["headers"], (method, path)
            if path.startswith("/api/"):
                assert "Retry-After" in responses["429"]["headers"], (method, path)


def test_the_webhook_is_signed_not_authenticated(document: dict[str, Any]) -> None:
    webhook = document["paths"]["/webhooks/wise"]["post"]
    assert webhook["security"] == []
    headers = {p["name"]: p["required"] for p in webhook["parameters"] if p["in"] == "header"}
    assert headers == {
        "X-Signature-SHA256": True,
        "X-Delivery-Id": False,
        "X-Test-Notification": False,
    }
    assert webhook["responses"]["401"]["content"]["application/json"]["schema"]["properties"][
        "error"
    ] == {"enum": ["invalid_signature"]}


def test_error_bodies_are_described_by_the_model_the_handler_renders() -> None:
    error = errors.InvalidRequest("bad", field="customer.email")
    assert errors.ErrorBody.model_validate(error.to_json()).field == "customer.email"
    assert "field" not in errors.NotFound().to_json()


def test_the_document_is_served_without_an_api_key(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == document


def test_the_command_writes_the_same_document(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No settings at all: generating a client must not need a configured kit.
    monkeypatch.setenv("ONBOARDING_ENV", "production")
    output = tmp_path / "openapi.json"
    result = CliRunner().invoke(main, ["openapi", "--output", str(output)])
    assert result.exit_code == 0, result.output
    written = json.loads(output.read_text())
    assert written == build_document(app)
    assert "servers" not in written
    named = CliRunner().invoke(main, ["openapi", "--server-url", "https://kit.example"])
    assert json.loads(named.output)["servers"] == [{"url": "https://kit.example"}]


def test_the_reference_page_loads_only_its_own_scripts(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe" not in csp
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the page starts Swagger UI from scripts"
    for attributes, inline in scripts:
        assert inline.strip() == "", "no inline script"
        src = re.search(r'src="([^"]+)"', attributes)
        assert src is not None
        assert src[1].startswith("/static/")
        asset = client.get(src[1])
        assert asset.status_code == 200, src[1]
        assert "javascript" in asset.mimetype
    stylesheet = re.search(r'href="(/static/swagger-ui/swagger-ui.css)"', html)
    assert stylesheet is not None
    assert client.get(stylesheet[1]).status_code == 200


def test_an_unconfigured_app_still_documents_every_route(app: Flask) -> None:
    bare = Flask("backend")
    register_blueprints(bare)
    assert build_document(bare)["paths"].keys() == build_document(app)["paths"].keys()
