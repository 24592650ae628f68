"""The Onboarding API: users/exists, registration-code sign-up and grant, claim codes, profiles."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from .conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PERSONAL_BODY,
    REGISTRATION_CODE,
    app_token,
    bearer,
    post_token,
    register_user,
    user_tokens,
)


def signup(client: FlaskClient, body: dict[str, Any]) -> Any:
    """POST the registration-code sign-up with an application token."""
    return client.post(
        "/v1/user/signup/registration_code", json=body, headers=bearer(app_token(client))
    )


def test_users_exists(client: FlaskClient) -> None:
    headers = bearer(app_token(client))
    known = client.post("/v1/users/exists", json={"email": "ADA@example.com"}, headers=headers)
    assert known.json == {"exists": True}
    unknown = client.post("/v1/users/exists", json={"email": "new@example.com"}, headers=headers)
    assert unknown.json == {"exists": False}
    user = user_tokens(client, "ada@example.com")["access_token"]
    assert (
        client.post(
            "/v1/users/exists", json={"email": "x@example.com"}, headers=bearer(user)
        ).status_code
        == 403
    )


def test_signup_returns_the_new_user(client: FlaskClient) -> None:
    response = signup(
        client, {"email": "new.user@example.com", "registrationCode": REGISTRATION_CODE}
    )
    assert response.status_code == 200
    body = response.json
    assert body["name"] is None  # type: ignore[index]
    assert body["email"] == "new.user@example.com"  # type: ignore[index]
    assert body["active"] is True  # type: ignore[index]
    assert body["details"] is None  # type: ignore[index]
    assert isinstance(body["id"], int)  # type: ignore[index]


def test_signup_with_existing_email_is_409_with_wises_body(client: FlaskClient) -> None:
    response = signup(client, {"email": "ada@example.com", "registrationCode": REGISTRATION_CODE})
    assert response.status_code == 409
    assert response.json == {
        "errors": [
            {
                "code": "NOT_UNIQUE",
                "message": "You\u2019re already a member. Please login",
                "path": "email",
                "arguments": [
                    "email",
                    "class com.transferwise.fx.api.ApiRegisterCommand",
                    "ada@example.com",
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    ("body", "status", "code", "path"),
    [
        ({"registrationCode": REGISTRATION_CODE}, 400, "NotNull", "email"),
        ({"email": "n@example.com"}, 400, "NotNull", "registrationCode"),
        ({"email": "n@example.com", "registrationCode": "short"}, 400, "Size", "registrationCode"),
        ({"email": "not-an-email", "registrationCode": REGISTRATION_CODE}, 422, "ERROR", "email"),
    ],
)
def test_signup_validation(
    client: FlaskClient, body: dict[str, Any], status: int, code: str, path: str
) -> None:
    response = signup(client, body)
    assert response.status_code == status
    error = response.json["errors"][0]  # type: ignore[index]
    assert (error["code"], error["path"]) == (code, path)
    if code == "NotNull":
        assert error["message"] == "must not be null"
    if code == "Size":
        assert error["message"] == "size must be between 32 and 2147483647"
    if code == "ERROR":
        assert error["message"] == "Please provide a valid email"


def test_concurrent_signups_of_one_email_create_one_user(live: str) -> None:
    token = requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    ).json()["access_token"]

    def attempt(_: int) -> int:
        return requests.post(
            f"{live}/v1/user/signup/registration_code",
            json={"email": "race@example.com", "registrationCode": REGISTRATION_CODE},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(attempt, range(20)))
    assert statuses == [200] + [409] * 19


def test_registration_code_grant_and_wrong_code(client: FlaskClient) -> None:
    tokens = register_user(client, "reg@example.com")
    assert {"access_token", "refresh_token", "refresh_token_expires_at"} <= set(tokens)
    wrong = post_token(
        client,
        grant_type="registration_code",
        email="reg@example.com",
        registration_code="b" * 40,
        client_id=CLIENT_ID,
    )
    assert wrong.status_code == 401
    assert wrong.json == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials.",
    }
    client.patch("/__emulator/settings", json={"registration_code_invalid_status": 400})
    again = post_token(
        client,
        grant_type="registration_code",
        email="reg@example.com",
        registration_code="b" * 40,
        client_id=CLIENT_ID,
    )
    assert again.status_code == 400


def test_claim_account_code(client: FlaskClient) -> None:
    tokens = register_user(client, "claim@example.com")
    headers = bearer(tokens["access_token"])
    response = client.post(
        "/v1/user/claim-account", json={"registrationCode": REGISTRATION_CODE}, headers=headers
    )
    assert response.status_code == 200
    assert set(response.json) == {"claimAccountCode"}  # type: ignore[arg-type]
    wrong = client.post(
        "/v1/user/claim-account", json={"registrationCode": "c" * 40}, headers=headers
    )
    assert wrong.status_code == 400
    linked = user_tokens(client, "ada@example.com")
    refused = client.post(
        "/v1/user/claim-account",
        json={"registrationCode": REGISTRATION_CODE},
        headers=bearer(linked["access_token"]),
    )
    assert refused.status_code == 403


def test_personal_profile_with_idempotence_uuid(client: FlaskClient) -> None:
    tokens = register_user(client, "mary@example.com")
    headers = {**bearer(tokens["access_token"]), "X-idempotence-uuid": str(uuid.uuid4())}
    first = client.post("/v2/profiles/personal-profile", json=PERSONAL_BODY, headers=headers)
    assert first.status_code == 200
    profile = first.json
    assert profile["type"] == "PERSONAL"  # type: ignore[index]
    assert profile["dateOfBirth"] == "1980-12-26"  # type: ignore[index]
    assert profile["address"]["countryIso3Code"] == "gbr"  # type: ignore[index]
    repeat = client.post("/v2/profiles/personal-profile", json=PERSONAL_BODY, headers=headers)
    assert repeat.status_code == 200
    assert repeat.json == profile
    no_uuid = client.post(
        "/v2/profiles/personal-profile", json=PERSONAL_BODY, headers=bearer(tokens["access_token"])
    )
    assert no_uuid.status_code == 409
    user = client.get("/__emulator/users/mary@example.com").json
    assert len(user["profiles"]) == 1  # type: ignore[index]
    listed = client.get("/v2/profiles", headers=bearer(tokens["access_token"])).json
    assert [p["id"] for p in listed] == [profile["id"]]  # type: ignore[union-attr, index]
    assert client.get("/__emulator/counters").json["profiles_created"] == 5  # type: ignore[index]


def test_personal_profile_validation(client: FlaskClient) -> None:
    tokens = register_user(client, "val@example.com")
    body = {**PERSONAL_BODY, "firstName": "x" * 31, "dateOfBirth": None}
    del body["contactDetails"]
    response = client.post(
        "/v2/profiles/personal-profile", json=body, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 400
    found = {(e["code"], e["path"]) for e in response.json["errors"]}  # type: ignore[index]
    assert found == {
        ("Size", "firstName"),
        ("NotNull", "dateOfBirth"),
        ("NotNull", "contactDetails"),
    }


def test_scoped_token_cannot_create_profiles(client: FlaskClient) -> None:
    linked = user_tokens(client, "nobody@example.com")
    response = client.post(
        "/v2/profiles/personal-profile", json=PERSONAL_BODY, headers=bearer(linked["access_token"])
    )
    assert response.status_code == 403
