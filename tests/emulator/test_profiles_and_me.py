"""Reading profiles and /v1/me, bearer checks, profile scoping of authorization-code tokens."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import app_token, bearer, user_tokens


def test_api_without_token_is_401_with_wises_body(client: FlaskClient) -> None:
    response = client.get("/v2/profiles")
    assert response.status_code == 401
    assert response.json == {
        "error": "unauthorized",
        "error_description": "Full authentication is required to access this resource",
    }


def test_unknown_token_is_echoed(client: FlaskClient) -> None:
    response = client.get("/v1/me", headers=bearer("made-up-token"))
    assert response.status_code == 401
    assert response.json == {"error": "invalid_token", "error_description": "made-up-token"}


def test_application_token_cannot_read_profiles(client: FlaskClient) -> None:
    response = client.get("/v2/profiles", headers=bearer(app_token(client)))
    assert response.status_code == 403


def test_v2_profile_has_top_level_date_of_birth(client: FlaskClient) -> None:
    tokens = user_tokens(client, "ada@example.com")
    response = client.get(
        f"/v2/profiles/{tokens['profile_id']}", headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 200
    profile = response.json
    assert profile["type"] == "PERSONAL"  # type: ignore[index]
    assert profile["dateOfBirth"] == "1990-04-01"  # type: ignore[index]
    assert profile["firstName"] == "Ada"  # type: ignore[index]
    assert profile["fullName"] == "Ada Lovelace"  # type: ignore[index]
    assert profile["userId"] > 0  # type: ignore[index]
    assert profile["address"]["countryIso3Code"] == "gbr"  # type: ignore[index]


def test_business_profile_shape(client: FlaskClient) -> None:
    alan = client.get("/__emulator/users/alan@example.com").json
    business = next(p for p in alan["profiles"] if p["type"] == "BUSINESS")  # type: ignore[index]
    tokens = user_tokens(client, "alan@example.com", profile_id=business["id"])
    profile = client.get(
        f"/v2/profiles/{business['id']}", headers=bearer(tokens["access_token"])
    ).json
    assert profile["type"] == "BUSINESS"  # type: ignore[index]
    assert profile["businessName"] == "Turing Machines Ltd"  # type: ignore[index]
    assert profile["registrationNumber"] == "07209813"  # type: ignore[index]
    assert "dateOfBirth" not in profile  # type: ignore[operator]


def test_code_token_is_scoped_to_the_granted_profile(client: FlaskClient) -> None:
    alan = client.get("/__emulator/users/alan@example.com").json
    personal, business = alan["profiles"]  # type: ignore[index]
    tokens = user_tokens(client, "alan@example.com", profile_id=personal["id"])
    headers = bearer(tokens["access_token"])
    listed = client.get("/v2/profiles", headers=headers).json
    assert [p["id"] for p in listed] == [personal["id"]]  # type: ignore[union-attr]
    assert client.get(f"/v2/profiles/{business['id']}", headers=headers).status_code == 403
    unknown = client.get("/v2/profiles/1", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json["errors"][0]["code"] == "NOT_FOUND"  # type: ignore[index]


def test_other_users_profile_is_forbidden_and_the_status_is_a_switch(client: FlaskClient) -> None:
    grace = client.get("/__emulator/users/grace@example.com").json
    other_id = grace["profiles"][0]["id"]  # type: ignore[index]
    headers = bearer(user_tokens(client, "ada@example.com")["access_token"])
    assert client.get(f"/v2/profiles/{other_id}", headers=headers).status_code == 403
    client.patch("/__emulator/settings", json={"ungranted_profile_status": 404})
    assert client.get(f"/v2/profiles/{other_id}", headers=headers).status_code == 404


def test_me_has_details_date_of_birth(client: FlaskClient) -> None:
    tokens = user_tokens(client, "grace@example.com")
    me = client.get("/v1/me", headers=bearer(tokens["access_token"])).json
    assert me["email"] == "grace@example.com"  # type: ignore[index]
    assert me["details"]["dateOfBirth"] == "1985-12-09"  # type: ignore[index]
    assert me["details"]["firstName"] == "Grace"  # type: ignore[index]


def test_user_without_profile_sees_no_profiles(client: FlaskClient) -> None:
    tokens = user_tokens(client, "nobody@example.com")
    assert tokens["profile_id"] is None
    listed = client.get("/v2/profiles", headers=bearer(tokens["access_token"]))
    assert listed.json == []


@pytest.mark.parametrize("header", ["X-External-Correlation-Id", "x-external-correlation-id"])
def test_correlation_id_is_echoed(client: FlaskClient, header: str) -> None:
    tokens = user_tokens(client, "ada@example.com")
    response = client.get(
        "/v1/me",
        headers={**bearer(tokens["access_token"]), header: "c0ffee00-1111-2222-3333-444455556666"},
    )
    assert response.headers["X-External-Correlation-Id"] == "c0ffee00-1111-2222-3333-444455556666"
    assert response.headers["x-trace-id"]
