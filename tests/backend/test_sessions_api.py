"""Partner API: authentication, validation, return-URL allowlist, create and read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from backend.clock import FrozenClock
from tests.support.factories import (
    API_KEY,
    APP_RETURN_URL,
    DROP,
    OTHER_API_KEY,
    RETURN_URL,
    session_body,
)

URL = "/api/v1/onboarding-sessions"


def create(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> Any:
    return client.post(URL, json=session_body(**overrides), headers=headers)


# -- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, "missing_api_key"),
        ("", "missing_api_key"),
        ("Bearer ", "missing_api_key"),
        (f"Basic {API_KEY}", "missing_api_key"),
        ("Bearer wrong-key", "invalid_api_key"),
        (f"Bearer {API_KEY}x", "invalid_api_key"),
        (f"Bearer {API_KEY[:-1]}", "invalid_api_key"),
    ],
)
def test_api_requires_a_valid_key(client: FlaskClient, header: str | None, error: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    for response in (
        client.post(URL, json=session_body(), headers=headers),
        client.get(f"{URL}/anything", headers=headers),
        client.get("/api/v1/customers/c-123/wise-link", headers=headers),
    ):
        assert response.status_code == 401
        assert response.json == {
            "error": error,
            "error_description": response.json["error_description"],
        }
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_configured_key_is_accepted(client: FlaskClient) -> None:
    for key in (API_KEY, OTHER_API_KEY):
        response = create(client, {"Authorization": f"Bearer {key}"})
        assert response.status_code == 201


# -- create --------------------------------------------------------------------------------


def test_create_returns_a_launch_url_and_expiry(
    client: FlaskClient, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    response = create(client, api_headers, ttl_seconds=900)
    assert response.status_code == 201
    body = response.json
    assert set(body) == {"id", "status", "launch_url", "expires_at"}
    assert body["status"] == "created"
    assert body["launch_url"].startswith("http://localhost:5000/onboarding/launch/")
    token = body["launch_url"].rsplit("/", 1)[1]
    assert len(token) >= 43
    expires = datetime.fromisoformat(body["expires_at"])
    assert (expires - clock.now()).total_seconds() == 900
    assert response.headers["Location"] == f"{URL}/{body['id']}"
    assert response.headers["Cache-Control"] == "no-store"


def test_ttl_defaults_to_600_seconds(
    client: FlaskClient, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    response = create(client, api_headers, ttl_seconds=DROP)
    expires = datetime.fromisoformat(response.json["expires_at"])
    assert (expires - clock.now()).total_seconds() == 600


def test_each_session_gets_a_different_launch_token(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    urls = {create(client, api_headers).json["launch_url"] for _ in range(5)}
    assert len(urls) == 5


def test_custom_scheme_return_url_is_allowed_when_listed(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    assert create(client, api_headers, return_url=APP_RETURN_URL).status_code == 201


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example",
        "//evil.example",
        "javascript:alert(1)",
        "https://app.example.evil.example/wise/return",
        "https://app.example/wise/return/",
        "https://app.example/wise/return?next=https://evil.example",
        "HTTPS://APP.EXAMPLE/wise/return",
        f"{RETURN_URL}#fragment",
        "acmebank://wise/return/../evil",
        "",
        RETURN_URL + "/" + "a" * 3000,
    ],
)
def test_return_url_must_match_the_allowlist_exactly(
    client: FlaskClient, api_headers: dict[str, str], return_url: str
) -> None:
    response = create(client, api_headers, return_url=return_url)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_return_url"
    assert response.json["field"] == "return_url"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer": DROP}, "customer"),
        ({"customer": "c-123"}, "customer"),
        ({"customer__external_id": DROP}, "customer.external_id"),
        ({"customer__external_id": ""}, "customer.external_id"),
        ({"customer__external_id": 123}, "customer.external_id"),
        ({"customer__external_id": "has spaces"}, "customer.external_id"),
        ({"customer__external_id": "x" * 129}, "customer.external_id"),
        ({"customer__external_id": "c-123\n"}, "customer.external_id"),
        ({"customer__external_id": "c-\u0000"}, "customer.external_id"),
        ({"customer__email": "ada@example.com\n"}, "customer.email"),
        ({"customer__email": "ada\u0000@example.com"}, "customer.email"),
        ({"customer__email": "ada@exam\u0007ple.com"}, "customer.email"),
        ({"customer__email": DROP}, "customer.email"),
        ({"customer__email": "not-an-email"}, "customer.email"),
        ({"customer__email": ["ada@example.com"]}, "customer.email"),
        ({"customer__date_of_birth": "1990-02-30"}, "customer.date_of_birth"),
        ({"customer__date_of_birth": "01/04/1990"}, "customer.date_of_birth"),
        ({"customer__date_of_birth": 19900401}, "customer.date_of_birth"),
        ({"customer__date_of_birth": "2999-01-01"}, "customer.date_of_birth"),
        ({"customer__date_of_birth": DROP}, "customer.date_of_birth"),
        ({"customer__type": "company"}, "customer.type"),
        ({"customer__nickname": "Ada"}, "customer.nickname"),
        ({"return_url": DROP}, "return_url"),
        ({"return_url": 42}, "return_url"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"ttl_seconds": 1801}, "ttl_seconds"),
        ({"ttl_seconds": "600"}, "ttl_seconds"),
        ({"ttl_seconds": 60.5}, "ttl_seconds"),
        ({"ttl_seconds": True}, "ttl_seconds"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_fields_are_named(
    client: FlaskClient, api_headers: dict[str, str], overrides: dict[str, Any], field: str
) -> None:
    response = create(client, api_headers, **overrides)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert response.json["field"] == field
    assert field in response.json["error_description"]


@pytest.mark.parametrize(
    ("data", "content_type", "field"),
    [
        ("{not json", "application/json", "body"),
        ("[1, 2]", "application/json", "body"),
        ("", "application/json", "body"),
        ('{"customer": {}}', "text/plain", "Content-Type"),
        ("customer=1", "application/x-www-form-urlencoded", "Content-Type"),
        # Deep enough to exhaust Python's stack, small enough to pass the size limit.
        ("[" * 30_000 + "]" * 30_000, "application/json", "body"),
        (
            '{"customer": {"prefill": ' + "[" * 30_000 + "]" * 30_000 + "}}",
            "application/json",
            "body",
        ),
        # Deep, but within the stack: the model's own parser refuses it.
        ("[" * 500 + "]" * 500, "application/json", "body"),
    ],
)
def test_malformed_bodies_get_a_clear_400(
    client: FlaskClient, api_headers: dict[str, str], data: str, content_type: str, field: str
) -> None:
    response = client.post(URL, data=data, content_type=content_type, headers=api_headers)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert response.json["field"] == field


def test_oversized_body_is_rejected(client: FlaskClient, api_headers: dict[str, str]) -> None:
    body = session_body(customer__email="a" * 100_000 + "@example.com")
    response = client.post(URL, json=body, headers=api_headers)
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"


def test_business_customers_need_no_date_of_birth(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    response = create(client, api_headers, customer__type="business", customer__date_of_birth=DROP)
    assert response.status_code == 201


def test_unknown_route_and_method_answer_json(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/nothing", headers=api_headers).json["error"] == "not_found"
    response = client.delete(URL, headers=api_headers)
    assert response.status_code == 405
    assert response.json["error"] == "method_not_allowed"


# -- read ----------------------------------------------------------------------------------


def test_read_returns_the_documented_fields(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    created = create(client, api_headers).json
    response = client.get(f"{URL}/{created['id']}", headers=api_headers)
    assert response.status_code == 200
    body = response.json
    assert set(body) == {
        "id",
        "status",
        "mode",
        "customer_external_id",
        "failure_reason",
        "wise_error",
        "wise_profile_id",
        "existing_account",
        "identity_check",
        "prefill_errors",
        "refresh_url",
        "created_at",
        "expires_at",
        "completed_at",
    }
    assert body["status"] == "created"
    assert body["refresh_url"] is None
    assert body["mode"] == "link"
    assert body["existing_account"] is False
    assert body["identity_check"] is None
    assert body["prefill_errors"] == []
    assert body["customer_external_id"] == "c-123"
    assert "launch_url" not in body


@pytest.mark.parametrize("session_id", ["0f1e2d3c-0000-4000-8000-000000000000", "x" * 300, "%00"])
def test_unknown_session_is_404(
    client: FlaskClient, api_headers: dict[str, str], session_id: str
) -> None:
    response = client.get(f"{URL}/{session_id}", headers=api_headers)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


def test_session_reads_as_expired_once_its_time_runs_out(
    client: FlaskClient, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    created = create(client, api_headers, ttl_seconds=60).json
    clock.advance(59)
    assert client.get(f"{URL}/{created['id']}", headers=api_headers).json["status"] == "created"
    clock.advance(1)
    body = client.get(f"{URL}/{created['id']}", headers=api_headers).json
    assert body["status"] == "expired"
    assert body["completed_at"] is not None


def test_link_of_an_unknown_customer_is_not_linked(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/customers/c-404/wise-link", headers=api_headers)
    assert response.status_code == 200
    assert response.json == {
        "status": "not_linked",
        "profile_id": None,
        "profile_type": None,
        "linked_at": None,
        "identity_check": None,
        "verification_status": "unknown",
        "verification_routes": [],
        "verification_checked_at": None,
        "wise_user_state": None,
        "wise_user_deactivation_type": None,
        "wise_user_deactivation_reason": None,
        "account_changed": False,
    }
