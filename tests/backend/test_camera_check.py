"""The camera-check page as the kit serves it, and the report endpoint behind it."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from backend import create_app
from backend.camera_check import page_csp
from backend.cli import main
from backend.extensions import runtime_of
from sample_app.serving import ServerThread
from tests.support.factories import API_KEY, session_body

URL = "/api/v1/camera-checks"
REPORT: dict[str, Any] = {
    "schema": "camera-check/1",
    "created_at": "2026-11-23T10:00:00.000Z",
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 Chrome/130",
    "embedding": "android-webview",
    "viewport": {"width": 412, "height": 915, "device_pixel_ratio": 2.625},
    "checks": [
        {"id": "secure-context", "status": "passed", "detail": "https", "error": None},
        {"id": "front-camera", "status": "failed", "detail": "denied", "error": "NotAllowedError"},
        {"id": "return-url", "status": "skipped", "detail": "", "error": None},
    ],
}


def report(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(REPORT)
    body.update(changes)
    return body


def test_page_is_served_with_its_own_csp_and_camera_permission(client: FlaskClient) -> None:
    response = client.get("/webview/camera-check")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == page_csp()
    assert "connect-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Permissions-Policy"] == "camera=(self)"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Camera check" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "return_url",
    ["https://evil.example/", "javascript:alert(1)", "https://app.example/wise/return/"],
)
def test_page_refuses_a_return_url_outside_the_allowlist(
    client: FlaskClient, return_url: str
) -> None:
    response = client.get("/webview/camera-check", query_string={"return_url": return_url})
    assert response.status_code == 400
    assert "ONBOARDING_RETURN_URLS" in response.get_data(as_text=True)
    assert "Camera check" not in response.get_data(as_text=True)


def test_page_accepts_an_allowlisted_return_url(client: FlaskClient) -> None:
    response = client.get(
        "/webview/camera-check", query_string={"return_url": "acmebank://wise/return"}
    )
    assert response.status_code == 200


def test_report_is_stored_and_listed(client: FlaskClient, config: dict[str, Any]) -> None:
    response = client.post(URL, json=REPORT)
    assert response.status_code == 201
    report_id = response.json["id"]
    env = {k: v for k, v in config.items() if k.startswith("ONBOARDING_")}
    listed = CliRunner().invoke(main, ["camera-reports"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "android-webview" in listed.output
    assert "passed  1 failed  1 skipped  1" in listed.output
    assert "front-camera(NotAllowedError)" in listed.output
    as_json = CliRunner().invoke(main, ["camera-reports", "--json"], env=env)
    assert report_id in as_json.output


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report(schema="camera-check/2"), "schema"),
        (report(checks=[]), "checks"),
        (report(checks=[{"id": "frame", "status": "maybe"}]), "checks.0.status"),
        (report(checks=[{"id": "no-such-check", "status": "passed"}]), "checks.0.id"),
        (
            report(checks=[{"id": "frame", "status": "passed", "detail": "d" * 301}]),
            "checks.0.detail",
        ),
        (report(embedding="toaster"), "embedding"),
        (report(image="data:image/png;base64,iVBORw0KGgo="), "image"),
        (report(viewport={"width": -1, "height": 1, "device_pixel_ratio": 1}), "viewport.width"),
        (report(user_agent=None), "user_agent"),
        (report(user_agent="Mozilla\u0000"), "user_agent"),
        (
            report(checks=[{"id": "frame", "status": "passed", "detail": "a\u001bb"}]),
            "checks.0.detail",
        ),
        ({k: v for k, v in REPORT.items() if k != "checks"}, "checks"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(
    client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert response.json["field"] == field


def test_non_json_and_oversized_reports(client: FlaskClient, config: dict[str, Any]) -> None:
    assert client.post(URL, data="{", content_type="application/json").status_code == 400
    assert client.post(URL, data="x=1", content_type="text/plain").status_code == 400
    huge = report(user_agent="u" * 20_000)
    response = client.post(URL, json=huge)
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"
    env = {k: v for k, v in config.items() if k.startswith("ONBOARDING_")}
    assert (
        "no camera-check reports yet"
        in CliRunner().invoke(main, ["camera-reports"], env=env).output
    )


@pytest.fixture
def limited_app(config: dict[str, Any]) -> Flask:
    return create_app(
        {
            **config,
            "ONBOARDING_RATE_LIMIT_CAMERA_CHECK": "3/hour",
            "ONBOARDING_TRUSTED_PROXY_COUNT": "1",
        }
    )


def test_rate_limit_per_client(limited_app: Flask) -> None:
    client = limited_app.test_client()
    first = {"X-Forwarded-For": "203.0.113.7"}
    statuses = [client.post(URL, json=REPORT, headers=first).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    limited = client.post(URL, json=REPORT, headers=first)
    assert limited.json["error"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 3601
    other = {"X-Forwarded-For": "198.51.100.9"}
    assert client.post(URL, json=REPORT, headers=other).status_code == 201


def concurrent_posts(app: Flask, count: int) -> list[int]:
    with ServerThread(app) as server:
        barrier = threading.Barrier(count)

        def post(_: int) -> int:
            barrier.wait()
            return requests.post(server.url() + URL, json=REPORT, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(post, range(count)))


def test_rate_limit_holds_under_concurrency(config: dict[str, Any]) -> None:
    app = create_app({**config, "ONBOARDING_RATE_LIMIT_CAMERA_CHECK": "5/hour"})
    statuses = concurrent_posts(app, 20)
    assert statuses.count(201) == 5
    assert statuses.count(429) == 15


@pytest.fixture
def postgres_app(postgres_url: str, config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(
        {
            **config,
            "ONBOARDING_DATABASE_URL": postgres_url,
            "ONBOARDING_RATE_LIMIT_CAMERA_CHECK": "5/hour",
        }
    )
    yield app
    runtime_of(app).engine.dispose()


@pytest.mark.postgres
def test_control_characters_are_400_on_postgres_too(postgres_app: Flask) -> None:
    # PostgreSQL refuses NUL in text; the kit must say "bad input", not "retry later".
    client = postgres_app.test_client()
    response = client.post(URL, json=report(user_agent="Mozilla\u0000"))
    assert response.status_code == 400
    assert response.json["field"] == "user_agent"
    session = client.post(
        "/api/v1/onboarding-sessions",
        json=session_body(customer__email="ada\u0000@example.com"),
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert session.status_code == 400
    assert session.json["field"] == "customer.email"


@pytest.mark.postgres
def test_rate_limit_holds_under_concurrency_on_postgres(postgres_app: Flask) -> None:
    statuses = concurrent_posts(postgres_app, 20)
    assert statuses.count(201) == 5
    assert statuses.count(429) == 15
