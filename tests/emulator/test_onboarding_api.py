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


def test_business_profile_directors_and_ubos(client: FlaskClient) -> None:
    tokens = register_user(client, "biz@example.com")
    headers = bearer(tokens["access_token"])
    business = client.post(
        "/v3/profiles/business-profile",
        json={
            "businessName": "Analytical Engines Ltd",
            "registrationNumber": "01234567",
            "companyType": "LIMITED",
            "companyRole": "OWNER",
            "address": {
                "addressFirstLine": "1 Dorset St",
                "city": "London",
                "countryIso3Code": "gbr",
                "postCode": "W1U 4EG",
            },
            "representative": {
                "firstName": "Charles",
                "lastName": "Babbage",
                "dateOfBirth": "1971-12-26",
            },
        },
        headers=headers,
    )
    assert business.status_code == 200
    profile_id = business.json["id"]  # type: ignore[index]
    assert business.json["businessName"] == "Analytical Engines Ltd"  # type: ignore[index]
    duplicate = client.post(
        "/v3/profiles/business-profile",
        json={"businessName": "Other", "registrationNumber": "01234567"},
        headers=headers,
    )
    assert duplicate.status_code == 409
    key = {"X-idempotence-uuid": str(uuid.uuid4())}
    directors = [
        {
            "firstName": "Ada",
            "lastName": "King",
            "dateOfBirth": "1985-12-10",
            "countryOfResidenceIso3Code": "gbr",
        }
    ]
    added = client.post(
        f"/v1/profiles/{profile_id}/directors", json=directors, headers={**headers, **key}
    )
    again = client.post(
        f"/v1/profiles/{profile_id}/directors", json=directors, headers={**headers, **key}
    )
    assert added.json == again.json
    assert len(added.json) == 1  # type: ignore[arg-type]
    ubos = [{"name": "Charles Babbage", "dateOfBirth": "1971-12-26", "ownershipPercentage": 75}]
    owners = client.post(f"/v1/profiles/{profile_id}/ubos", json=ubos, headers=headers)
    assert owners.json[0]["ownershipPercentage"] == 75  # type: ignore[index]
    bad = client.post(
        f"/v1/profiles/{profile_id}/ubos",
        json=[{"name": "X", "ownershipPercentage": 101}],
        headers=headers,
    )
    assert bad.status_code == 400
    stored = client.get("/__emulator/users/biz@example.com").json["profiles"][0]  # type: ignore[index]
    assert [d["lastName"] for d in stored["directors"]] == ["King"]
    assert [u["name"] for u in stored["ubos"]] == ["Charles Babbage"]
    representative = client.get(
        f"/v3/profiles/{profile_id}/business-profile/business-representative", headers=headers
    )
    assert representative.json["lastName"] == "Babbage"  # type: ignore[index]


DIRECTOR = {"firstName": "Ada", "lastName": "King", "dateOfBirth": "1985-12-10"}
OWNER = {"name": "Charles Babbage", "dateOfBirth": "1971-12-26", "ownershipPercentage": 75}


def business_with_people(client: FlaskClient) -> tuple[dict[str, str], int]:
    """Create a business profile with one director and one owner; return headers and its id."""
    tokens = register_user(client, "people@example.com")
    headers = bearer(tokens["access_token"])
    business = client.post(
        "/v3/profiles/business-profile",
        json={"businessName": "Analytical Engines Ltd", "registrationNumber": "01234567"},
        headers=headers,
    )
    profile_id = int(business.json["id"])  # type: ignore[index]
    for kind, people in (("directors", [DIRECTOR]), ("ubos", [OWNER])):
        added = client.post(f"/v1/profiles/{profile_id}/{kind}", json=people, headers=headers)
        assert added.status_code == 200
    return headers, profile_id


@pytest.mark.parametrize(
    ("kind", "same_person", "message"),
    [
        ("directors", DIRECTOR, "This director already exists on the profile"),
        ("directors", {**DIRECTOR, "firstName": " ADA ", "lastName": "king"}, None),
        ("ubos", OWNER, "This owner already exists on the profile"),
        ("ubos", {**OWNER, "name": "charles  BABBAGE", "ownershipPercentage": 10}, None),
    ],
)
def test_same_director_or_owner_again_is_409(
    client: FlaskClient, kind: str, same_person: dict[str, Any], message: str | None
) -> None:
    headers, profile_id = business_with_people(client)
    for extra in ({}, {"X-idempotence-uuid": str(uuid.uuid4())}):
        again = client.post(
            f"/v1/profiles/{profile_id}/{kind}", json=[same_person], headers={**headers, **extra}
        )
        assert again.status_code == 409
        [error] = again.json["errors"]  # type: ignore[index]
        assert (error["code"], error["path"], error["arguments"]) == ("NOT_UNIQUE", "[0]", [])
        if message:
            assert error["message"] == message
    stored = client.get("/__emulator/users/people@example.com").json["profiles"][0]  # type: ignore[index]
    assert (len(stored["directors"]), len(stored["ubos"])) == (1, 1)


def test_a_call_naming_a_known_person_adds_nobody(client: FlaskClient) -> None:
    headers, profile_id = business_with_people(client)
    other = {"firstName": "Ada", "lastName": "King", "dateOfBirth": "1990-01-01"}
    mixed = client.post(
        f"/v1/profiles/{profile_id}/directors", json=[other, DIRECTOR], headers=headers
    )
    assert mixed.status_code == 409
    assert mixed.json["errors"][0]["path"] == "[1]"  # type: ignore[index]
    twice = client.post(
        f"/v1/profiles/{profile_id}/directors", json=[other, other], headers=headers
    )
    assert twice.status_code == 409
    # A namesake born on another day is another person.
    namesake = client.post(f"/v1/profiles/{profile_id}/directors", json=[other], headers=headers)
    assert namesake.status_code == 200
    assert [d["dateOfBirth"] for d in namesake.json] == ["1985-12-10", "1990-01-01"]  # type: ignore[union-attr, index]


@pytest.mark.parametrize(
    ("kind", "person"),
    [
        ("directors", {"firstName": "Grace", "lastName": "Hopper", "dateOfBirth": "1976-12-09"}),
        ("ubos", {"name": "Grace Hopper", "dateOfBirth": "1976-12-09"}),
    ],
)
def test_same_idempotence_uuid_replays_the_first_answer(
    client: FlaskClient, kind: str, person: dict[str, Any]
) -> None:
    headers, profile_id = business_with_people(client)
    keyed = {**headers, "X-idempotence-uuid": str(uuid.uuid4())}
    first = client.post(f"/v1/profiles/{profile_id}/{kind}", json=[person], headers=keyed)
    assert first.status_code == 200
    repeat = client.post(f"/v1/profiles/{profile_id}/{kind}", json=[person], headers=keyed)
    assert (repeat.status_code, repeat.json) == (200, first.json)
    assert len(first.json) == 2  # type: ignore[arg-type]
    listed = client.get(f"/v1/profiles/{profile_id}/{kind}", headers=headers)
    assert listed.json == first.json
