"""Business and personal profile creation, directors and UBOs: as strict as Wise's reference."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from .conftest import BUSINESS_BODY, PERSONAL_BODY, REPRESENTATIVE, bearer, register_user

V2 = "/v2/profiles/business-profile"
V3 = "/v3/profiles/business-profile"
PERSONAL = "/v2/profiles/personal-profile"
V2_BODY = {k: v for k, v in BUSINESS_BODY.items() if k != "businessRepresentative"}


def changed(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``body``; ``a__b=value`` sets a nested key, ``=DROP`` removes it."""
    result = copy.deepcopy(body)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = result
        for part in parents:
            target = target[part]
        if value is DROP:
            target.pop(last, None)
        else:
            target[last] = value
    return result


DROP = object()


def headers_for(client: FlaskClient, email: str = "biz@example.com") -> dict[str, str]:
    return bearer(register_user(client, email)["access_token"])


def problems(response: Any) -> set[tuple[str, str]]:
    assert response.status_code == 400, response.json
    return {(e["code"], e["path"]) for e in response.json["errors"]}


def test_wises_own_v3_example_creates_the_business_and_its_representative(
    client: FlaskClient,
) -> None:
    headers = headers_for(client)
    created = client.post(V3, json=BUSINESS_BODY, headers=headers)
    assert created.status_code == 200, created.json
    business = created.json
    assert (business["type"], business["businessName"]) == ("BUSINESS", "ABC Logistics Ltd")
    assert (business["firstLevelCategory"], business["secondLevelCategory"]) == (
        "CONSULTING_IT_BUSINESS_SERVICES",
        "DESIGN",
    )
    assert business["businessFreeFormDescription"] == "Biz free form desc"
    assert business["operationalAddresses"][0]["city"] == "London"
    representative = client.get(
        f"/v3/profiles/{business['id']}/business-profile/business-representative", headers=headers
    ).json
    assert (representative["firstName"], representative["lastName"]) == ("Oliver", "Wilson")
    assert isinstance(representative["id"], int)
    # A later business may name the same representative by id alone.
    again = changed(
        BUSINESS_BODY,
        registrationNumber="99999999",
        businessRepresentative={"businessRepresentativeId": representative["id"]},
    )
    assert client.post(V3, json=again, headers=headers).status_code == 200


def test_v2_needs_the_representatives_personal_profile_first(client: FlaskClient) -> None:
    headers = headers_for(client)
    first = client.post(V2, json=V2_BODY, headers=headers)
    assert problems(first) == {("api.personalProfile.missing", "type")}
    assert client.post(PERSONAL, json=PERSONAL_BODY, headers=headers).status_code == 200
    created = client.post(V2, json=V2_BODY, headers=headers)
    assert created.status_code == 200, created.json
    listed = client.get("/v2/profiles", headers=headers).json
    assert [p["type"] for p in listed] == ["PERSONAL", "BUSINESS"]
    # v2 has no businessRepresentative: naming one is refused like any unknown field.
    other = changed(BUSINESS_BODY, registrationNumber="5")
    assert ("api.businessRepresentative.unknown", "businessRepresentative") in problems(
        client.post(V2, json=other, headers=headers)
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {},
            {
                ("api.businessName.missing", "businessName"),
                ("api.companyType.missing", "companyType"),
                ("api.registrationNumber.missing", "registrationNumber"),
                ("api.firstLevelCategory.missing", "firstLevelCategory"),
                ("api.address.missing", "address"),
                ("api.businessRepresentative.missing", "businessRepresentative"),
            },
        ),
        # Names Wise does not document are refused, not silently dropped.
        (
            changed(BUSINESS_BODY, representative={}, descriptionOfBusiness="x"),
            {
                ("api.representative.unknown", "representative"),
                ("api.descriptionOfBusiness.unknown", "descriptionOfBusiness"),
            },
        ),
        (
            changed(BUSINESS_BODY, businessCategory="IT", businessSubCategory="DESIGN"),
            {
                ("api.businessCategory.unknown", "businessCategory"),
                ("api.businessSubCategory.unknown", "businessSubCategory"),
            },
        ),
        (
            changed(BUSINESS_BODY, secondLevelCategory="CHARITY_ALL_ACTIVITIES"),
            {("api.secondLevelCategory.invalid", "secondLevelCategory")},
        ),
        (
            changed(BUSINESS_BODY, firstLevelCategory="IT"),
            {("api.firstLevelCategory.invalid", "firstLevelCategory")},
        ),
        (
            changed(BUSINESS_BODY, industryCategories=["SOFTWARE_DEVELOPMENT_PUBLISHING"]),
            {("api.industryCategories.invalid", "industryCategories")},
        ),
        (
            changed(BUSINESS_BODY, companyType="LIMITED_COMPANY"),
            {("api.companyType.invalid", "companyType")},
        ),
        (
            changed(BUSINESS_BODY, companyRole="CEO"),
            {("api.companyRole.invalid", "companyRole")},
        ),
        (
            changed(
                BUSINESS_BODY, companyType="OTHER", webpage=DROP, businessFreeFormDescription=""
            ),
            {
                ("api.webpage.missing", "webpage"),
                ("api.businessFreeFormDescription.missing", "businessFreeFormDescription"),
            },
        ),
        (
            changed(BUSINESS_BODY, address__countryIso3Code="GBR", address__city=DROP),
            {
                ("api.countryIso3Code.invalid", "address.countryIso3Code"),
                ("api.address.missing", "address.city"),
            },
        ),
        (
            changed(BUSINESS_BODY, businessRepresentative__address__stateCode=DROP),
            {("NotNull", "businessRepresentative.address.stateCode")},
        ),
        (
            changed(BUSINESS_BODY, businessRepresentative__address__stateCode="ARIZONA"),
            {("Size", "businessRepresentative.address.stateCode")},
        ),
        (
            changed(BUSINESS_BODY, businessRepresentative__address__countryIso2Code="us"),
            {
                (
                    "api.businessRepresentative.address.countryIso2Code.unknown",
                    "businessRepresentative.address.countryIso2Code",
                )
            },
        ),
        (
            changed(
                BUSINESS_BODY,
                businessRepresentative__contactDetails=DROP,
                businessRepresentative__dateOfBirth=DROP,
            ),
            {
                ("NotNull", "businessRepresentative.contactDetails"),
                ("NotNull", "businessRepresentative.dateOfBirth"),
            },
        ),
        (
            changed(
                BUSINESS_BODY,
                businessRepresentative={**REPRESENTATIVE, "businessRepresentativeId": 1},
            ),
            {("api.businessRepresentative.invalid", "businessRepresentative.address")},
        ),
    ],
)
def test_business_bodies_are_checked_like_wise_documents(
    client: FlaskClient, body: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    response = client.post(V3, json=body, headers=headers_for(client))
    assert problems(response) == expected
    if ("api.businessName.missing", "businessName") in expected:
        # Wise's documented shape: arguments is null on these errors.
        assert response.json["errors"][0]["arguments"] is None
        assert response.json["errors"][0]["message"] == "Please specify the name of your business"


def test_sole_proprietorships_need_no_registration_number(client: FlaskClient) -> None:
    body = changed(BUSINESS_BODY, companyType="SOLE_PROPRIETORSHIP", registrationNumber=DROP)
    assert client.post(V3, json=body, headers=headers_for(client)).status_code == 200


def test_the_v3_answer_without_a_body_is_a_switch(client: FlaskClient) -> None:
    client.patch("/__emulator/settings", json={"business_profile_v3_answer": "empty"})
    response = client.post(V3, json=BUSINESS_BODY, headers=headers_for(client))
    assert (response.status_code, response.json) == (200, {})
    refused = client.patch("/__emulator/settings", json={"business_profile_v3_answer": "none"})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"address": DROP}, {("NotNull", "address")}),
        (
            {"address__countryIso3Code": "GBR"},
            {("api.countryIso3Code.invalid", "address.countryIso3Code")},
        ),
        (
            {"address__countryIso2Code": "gb"},
            {("api.address.countryIso2Code.unknown", "address.countryIso2Code")},
        ),
        (
            {"address__countryIso3Code": "usa"},
            {("NotNull", "address.stateCode")},
        ),
        (
            {"address__countryIso3Code": "can", "address__stateCode": "QC"},
            {("NotNull", "occupations")},
        ),
        (
            {"address__countryIso3Code": "usa", "address__stateCode": "NM"},
            {("NotNull", "occupations")},
        ),
        (
            {"occupations": [{"code": "Mathematician", "format": "OTHER"}]},
            {("INVALID", "occupations[0].format")},
        ),
        ({"nationality": "GBR"}, {("api.nationality.invalid", "nationality")}),
        ({"details": {}}, {("api.details.unknown", "details")}),
        ({"preferredName": "M" * 31}, {("Size", "preferredName")}),
    ],
)
def test_personal_bodies_are_checked_like_wise_documents(
    client: FlaskClient, change: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    response = client.post(
        PERSONAL, json=changed(PERSONAL_BODY, **change), headers=headers_for(client)
    )
    assert problems(response) == expected


def test_occupations_satisfy_the_countries_that_need_them(client: FlaskClient) -> None:
    body = changed(
        PERSONAL_BODY,
        address__countryIso3Code="can",
        address__stateCode="QC",
        occupations=[{"code": "Mathematician", "format": "FREE_FORM"}],
    )
    assert client.post(PERSONAL, json=body, headers=headers_for(client)).status_code == 200


def business_id(client: FlaskClient, headers: dict[str, str]) -> int:
    created = client.post(V3, json=BUSINESS_BODY, headers=headers)
    assert created.status_code == 200, created.json
    return int(created.json["id"])


DIRECTOR = {
    "firstName": "Ada",
    "lastName": "King",
    "dateOfBirth": "1985-12-10",
    "countryOfResidenceIso3Code": "gbr",
}
OWNER = {
    "name": "Charles Babbage",
    "dateOfBirth": "1971-12-26",
    "countryOfResidenceIso3Code": "gbr",
    "addressFirstLine": "1 Dorset Street",
    "postCode": "W1U 4EG",
    "ownershipPercentage": 75,
}


def test_directors_have_integer_ids_and_owners_32_hex_character_ids(client: FlaskClient) -> None:
    headers = headers_for(client)
    profile_id = business_id(client, headers)
    directors = client.post(
        f"/v1/profiles/{profile_id}/directors", json=[DIRECTOR], headers=headers
    )
    owners = client.post(f"/v1/profiles/{profile_id}/ubos", json=[OWNER], headers=headers)
    assert isinstance(directors.json[0]["id"], int)
    assert re.fullmatch(r"[0-9a-f]{32}", owners.json[0]["id"])
    assert owners.json[0]["ownershipPercentage"] == 75
    listed = client.get(f"/v1/profiles/{profile_id}/ubos", headers=headers)
    assert listed.json == owners.json


@pytest.mark.parametrize(("kind", "person"), [("directors", DIRECTOR), ("ubos", OWNER)])
def test_people_calls_honour_no_idempotence_header(
    client: FlaskClient, kind: str, person: dict[str, Any]
) -> None:
    # Wise documents no X-idempotence-uuid here: a repeat adds the same person again.
    headers = headers_for(client)
    profile_id = business_id(client, headers)
    keyed = {**headers, "X-idempotence-uuid": str(uuid.uuid4())}
    first = client.post(f"/v1/profiles/{profile_id}/{kind}", json=[person], headers=keyed)
    again = client.post(f"/v1/profiles/{profile_id}/{kind}", json=[person], headers=keyed)
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(again.json) == 2
    assert again.json[0]["id"] != again.json[1]["id"]
    # PUT overrides the whole list.
    replaced = client.put(f"/v1/profiles/{profile_id}/{kind}", json=[person], headers=headers)
    assert len(replaced.json) == 1
    assert replaced.json[0]["id"] not in {p["id"] for p in again.json}


def test_a_blank_owner_is_wises_bad_request(client: FlaskClient) -> None:
    headers = headers_for(client)
    profile_id = business_id(client, headers)
    response = client.post(f"/v1/profiles/{profile_id}/ubos", json=[{}], headers=headers)
    assert response.status_code == 400
    assert response.json == {
        "errors": [{"code": "BAD_REQUEST", "message": "ApiError", "arguments": []}]
    }
    named = client.post(
        f"/v1/profiles/{profile_id}/directors", json=[{"firstName": "Ada"}], headers=headers
    )
    assert problems(named) == {("NotNull", "[0].lastName")}
    not_a_list = client.post(f"/v1/profiles/{profile_id}/directors", json=DIRECTOR, headers=headers)
    assert not_a_list.status_code == 400
