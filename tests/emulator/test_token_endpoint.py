"""POST /oauth/token: client authentication, grants, documented error shapes, single-use codes."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests
from flask.testing import FlaskClient

from .conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    basic_auth,
    bearer,
    post_token,
    shortcut_code,
    user_tokens,
)

USER_TOKEN_FIELDS = {
    "access_token",
    "token_type",
    "refresh_token",
    "expires_in",
    "expires_at",
    "refresh_token_expires_in",
    "refresh_token_expires_at",
    "scope",
    "created_at",
}


def redeem(client: FlaskClient, code: str, redirect_uri: str = REDIRECT_URI) -> object:
    """Redeem an authorization code and return the response."""
    return post_token(
        client,
        grant_type="authorization_code",
        code=code,
        client_id=CLIENT_ID,
        redirect_uri=redirect_uri,
    )


def test_missing_client_authentication_is_401(client: FlaskClient) -> None:
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json == {
        "error": "unauthorized",
        "error_description": "Full authentication is required to access this resource",
    }


def test_wrong_client_secret_is_401(client: FlaskClient) -> None:
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic_auth(CLIENT_ID, "wrong"),
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"  # type: ignore[index]


def test_missing_grant_type_has_wises_exact_body(client: FlaskClient) -> None:
    response = post_token(client)
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request", "error_description": "Missing grant type"}


def test_json_body_is_not_read(client: FlaskClient) -> None:
    response = client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, headers=basic_auth()
    )
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request", "error_description": "Missing grant type"}


def test_unknown_grant_type(client: FlaskClient) -> None:
    response = post_token(client, grant_type="password")
    assert response.status_code == 400
    assert response.json["error"] == "unsupported_grant_type"  # type: ignore[index]


def test_client_credentials_token_shape(client: FlaskClient) -> None:
    response = post_token(client, grant_type="client_credentials")
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"access_token", "token_type", "expires_in", "expires_at", "scope"}  # type: ignore[arg-type]
    assert body["token_type"] == "bearer"  # type: ignore[index]
    assert body["expires_in"] == 43199  # type: ignore[index]
    assert body["scope"] == "transfers"  # type: ignore[index]
    assert response.headers["Cache-Control"] == "no-store"


def test_authorization_code_token_shape(client: FlaskClient) -> None:
    issued = shortcut_code(client, "ada@example.com")
    response = redeem(client, issued["code"])
    assert response.status_code == 200  # type: ignore[attr-defined]
    body = response.json  # type: ignore[attr-defined]
    assert set(body) == USER_TOKEN_FIELDS
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 43199
    assert body["refresh_token_expires_in"] > 600_000_000
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    created_at = datetime.fromisoformat(body["created_at"][:26] + "+00:00")
    assert 43198 <= (expires_at - created_at).total_seconds() <= 43200
    assert body["expires_at"].endswith("Z")
    assert len(body["expires_at"]) == 24


def test_code_is_single_use(client: FlaskClient) -> None:
    code = shortcut_code(client, "ada@example.com")["code"]
    assert redeem(client, code).status_code == 200  # type: ignore[attr-defined]
    second = redeem(client, code)
    assert second.status_code == 400  # type: ignore[attr-defined]
    assert second.json["error"] == "invalid_grant"  # type: ignore[attr-defined]


def test_redirect_uri_must_equal_the_one_used_at_authorize(client: FlaskClient) -> None:
    code = shortcut_code(client, "ada@example.com")["code"]
    response = redeem(client, code, redirect_uri=REDIRECT_URI + "?tenant=acme")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json == {  # type: ignore[attr-defined]
        "error": "invalid_grant",
        "error_description": "Redirect URI mismatch.",
    }


def test_code_expires_after_30_minutes(client: FlaskClient) -> None:
    code = shortcut_code(client, "ada@example.com")["code"]
    client.post("/__emulator/clock/advance", json={"seconds": 30 * 60 + 1})
    response = redeem(client, code)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json["error"] == "invalid_grant"  # type: ignore[attr-defined]


def test_code_of_another_client_is_refused(client: FlaskClient) -> None:
    client.put(
        "/__emulator/clients/other",
        json={"client_secret": "s2", "client_key": "k2", "redirect_uris": [REDIRECT_URI]},
    )
    code = shortcut_code(client, "ada@example.com")["code"]
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "other",
            "redirect_uri": REDIRECT_URI,
        },
        headers=basic_auth("other", "s2"),
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_grant"  # type: ignore[index]


def test_twenty_concurrent_redemptions_give_exactly_one_token(live: str) -> None:
    body = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "email": "ada@example.com"}
    code = requests.post(f"{live}/__emulator/authorize", json=body, timeout=10).json()["code"]

    def attempt(_: int) -> int:
        response = requests.post(
            f"{live}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
            },
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=10,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert sorted(statuses) == [200] + [400] * 19


def test_refresh_invalidates_the_previous_access_token(client: FlaskClient) -> None:
    first = user_tokens(client, "ada@example.com")
    assert client.get("/v1/me", headers=bearer(first["access_token"])).status_code == 200
    refreshed = post_token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refreshed.status_code == 200
    body = refreshed.json
    assert set(body) == USER_TOKEN_FIELDS  # type: ignore[arg-type]
    assert body["refresh_token"] == first["refresh_token"]  # type: ignore[index]
    old = client.get("/v1/me", headers=bearer(first["access_token"]))
    assert old.status_code == 401
    assert old.json == {"error": "invalid_token", "error_description": first["access_token"]}
    assert client.get("/v1/me", headers=bearer(body["access_token"])).status_code == 200  # type: ignore[index]


def test_refresh_rotation_switch(client: FlaskClient) -> None:
    client.patch("/__emulator/settings", json={"refresh_token_rotation": True})
    first = user_tokens(client, "ada@example.com")
    rotated = post_token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json["refresh_token"] != first["refresh_token"]  # type: ignore[index]
    reused = post_token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json["error"] == "invalid_grant"  # type: ignore[index]


def test_refreshed_token_keeps_the_granted_profile(client: FlaskClient) -> None:
    first = user_tokens(client, "alan@example.com")
    refreshed = post_token(
        client, grant_type="refresh_token", refresh_token=first["refresh_token"]
    ).json
    listed = client.get("/v2/profiles", headers=bearer(refreshed["access_token"])).json  # type: ignore[index]
    assert [p["id"] for p in listed] == [first["profile_id"]]  # type: ignore[union-attr]


def test_unknown_refresh_token(client: FlaskClient) -> None:
    response = post_token(client, grant_type="refresh_token", refresh_token="nope")
    assert response.status_code == 400
    assert response.json["error"] == "invalid_grant"  # type: ignore[index]


@pytest.mark.parametrize("how", ["revoke", "email"])
def test_revoked_user_tokens_stop_working(client: FlaskClient, how: str) -> None:
    tokens = user_tokens(client, "grace@example.com")
    if how == "revoke":
        client.post("/__emulator/users/grace@example.com/revoke")
    else:
        client.post("/__emulator/users/grace@example.com/email", json={"email": "g2@example.com"})
    api = client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert api.status_code == 401
    refresh = post_token(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.status_code == 403
    assert refresh.json["error"] == "invalid_grant"  # type: ignore[index]
    client.patch("/__emulator/settings", json={"revoked_refresh_status": 400})
    again = post_token(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 400


def test_access_token_expires_by_the_emulator_clock(client: FlaskClient) -> None:
    tokens = user_tokens(client, "ada@example.com")
    client.post("/__emulator/clock/advance", json={"seconds": 43200})
    response = client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"  # type: ignore[index]
    refreshed = post_token(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200


def test_token_calls_are_counted_per_grant(client: FlaskClient) -> None:
    user_tokens(client, "ada@example.com")
    post_token(client, grant_type="client_credentials")
    post_token(client)
    counters = client.get("/__emulator/counters").json
    assert counters["token_requests"] == {  # type: ignore[index]
        "authorization_code": 1,
        "client_credentials": 1,
        "missing": 1,
    }
    assert counters["tokens_issued"]["authorization_code"] == 1  # type: ignore[index]
    assert counters["requests"]["POST /oauth/token"] == 3  # type: ignore[index]
    assert json.dumps(counters)  # plain JSON
