"""Creating prefill sessions: every bad field is named, and the data is stored encrypted."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from backend import create_app
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from tests.prefill.conftest import BUSINESS_CUSTOMER, PERSONAL_CUSTOMER, prefill_body

URL = "/api/v1/onboarding-sessions"


def with_changes(customer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A prefill body whose customer has ``changes``; dotted paths reach into nested values.

    ``prefill.address.city=None`` removes the key; list indexes are numbers in the path.
    """
    changed = copy.deepcopy(customer)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target: Any = changed
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[int(last) if last.isdigit() else last] = value
    return prefill_body(changed)


P, B = PERSONAL_CUSTOMER, BUSINESS_CUSTOMER
TWO_THIRDS = {"name": "Ann Other", "ownership_percentage": 41}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**prefill_body(), "mode": "magic"}, "mode"),
        ({**prefill_body(), "mode": None}, "mode"),
        (with_changes(P, prefill=None), "customer.prefill"),
        (with_changes(P, prefill="Mary"), "customer.prefill"),
        ({**with_changes(P), "mode": "link"}, "customer.prefill"),
        (with_changes(P, prefill__first_name=None), "customer.prefill.first_name"),
        (with_changes(P, prefill__first_name="M" * 31), "customer.prefill.first_name"),
        (with_changes(P, prefill__first_name="   "), "customer.prefill.first_name"),
        (with_changes(P, prefill__last_name=42), "customer.prefill.last_name"),
        (with_changes(P, prefill__preferred_name="M" * 31), "customer.prefill.preferred_name"),
        (with_changes(P, prefill__phone_number=None), "customer.prefill.phone_number"),
        (with_changes(P, prefill__phone_number="07700 900123"), "customer.prefill.phone_number"),
        (with_changes(P, prefill__address=None), "customer.prefill.address"),
        (with_changes(P, prefill__address__city=None), "customer.prefill.address.city"),
        (
            with_changes(P, prefill__address__country="USA"),
            "customer.prefill.address.state_code",
        ),
        (
            with_changes(
                P, prefill__address__country="AUS", prefill__address__state_code="NSWALES"
            ),
            "customer.prefill.address.state_code",
        ),
        (
            with_changes(
                P,
                prefill__address__country="CAN",
                prefill__address__state_code="QC",
                prefill__occupation=None,
            ),
            "customer.prefill.occupation",
        ),
        (
            with_changes(
                P,
                prefill__address__country="USA",
                prefill__address__state_code="NM",
                prefill__occupation=None,
            ),
            "customer.prefill.occupation",
        ),
        (with_changes(P, prefill__address__first_line=""), "customer.prefill.address.first_line"),
        (with_changes(P, prefill__address__country="GB"), "customer.prefill.address.country"),
        (with_changes(P, prefill__address__country="G8R"), "customer.prefill.address.country"),
        (
            with_changes(P, prefill__address__post_code="X" * 21),
            "customer.prefill.address.post_code",
        ),
        (with_changes(P, prefill__address__flat="2"), "customer.prefill.address.flat"),
        (with_changes(P, prefill__nationality="British"), "customer.prefill.nationality"),
        (with_changes(P, prefill__occupation="x" * 101), "customer.prefill.occupation"),
        (with_changes(P, prefill__middle_name="Fairfax"), "customer.prefill.middle_name"),
        (with_changes(P, registration_number="SC123456"), "customer.registration_number"),
        (with_changes(B, prefill__business_name=None), "customer.prefill.business_name"),
        (with_changes(B, prefill__business_name="x" * 101), "customer.prefill.business_name"),
        (with_changes(B, prefill__company_type="limited"), "customer.prefill.company_type"),
        (with_changes(B, prefill__company_type="LIMITED_COMPANY"), "customer.prefill.company_type"),
        (with_changes(B, prefill__company_type=None), "customer.prefill.company_type"),
        (with_changes(B, prefill__company_role="CEO"), "customer.prefill.company_role"),
        (
            with_changes(B, prefill__registration_number=None),
            "customer.prefill.registration_number",
        ),
        (
            with_changes(B, prefill__first_level_category=None),
            "customer.prefill.first_level_category",
        ),
        (
            with_changes(B, prefill__first_level_category="IT"),
            "customer.prefill.first_level_category",
        ),
        # A sub-category of another category: Wise checks the pair.
        (
            with_changes(B, prefill__second_level_category="CHARITY_ALL_ACTIVITIES"),
            "customer.prefill.second_level_category",
        ),
        (
            with_changes(B, prefill__second_level_category=None),
            "customer.prefill.second_level_category",
        ),
        (with_changes(B, prefill__webpage="engines.example"), "customer.prefill.webpage"),
        (
            with_changes(B, prefill__company_type="OTHER", prefill__webpage=None),
            "customer.prefill.webpage",
        ),
        (
            with_changes(
                B, prefill__company_type="OTHER", prefill__business_free_form_description=None
            ),
            "customer.prefill.business_free_form_description",
        ),
        (with_changes(B, prefill__address=None), "customer.prefill.address"),
        (
            with_changes(B, prefill__operational_addresses=[{"first_line": "x"}]),
            "customer.prefill.operational_addresses.0.city",
        ),
        # Wise's older names are refused, never passed on.
        (with_changes(B, prefill__business_category="IT"), "customer.prefill.business_category"),
        (with_changes(B, prefill__representative={}), "customer.prefill.representative"),
        (
            with_changes(B, prefill__business_representative=None),
            "customer.prefill.business_representative",
        ),
        (
            with_changes(B, prefill__business_representative__date_of_birth=None),
            "customer.prefill.business_representative.date_of_birth",
        ),
        (
            with_changes(B, prefill__business_representative__phone_number=None),
            "customer.prefill.business_representative.phone_number",
        ),
        (
            with_changes(B, prefill__business_representative__email="not-an-email"),
            "customer.prefill.business_representative.email",
        ),
        (
            with_changes(B, prefill__business_representative__first_name="C" * 31),
            "customer.prefill.business_representative.first_name",
        ),
        (
            with_changes(B, prefill__business_representative__address__country="USA"),
            "customer.prefill.business_representative.address.state_code",
        ),
        (
            with_changes(B, prefill__business_representative__business_representative_id=7),
            "customer.prefill.business_representative.first_name",
        ),
        # Only the v3 endpoint takes a representative id (this kit runs the default, v2).
        (
            with_changes(B, prefill__business_representative={"business_representative_id": 7}),
            "customer.prefill.business_representative.business_representative_id",
        ),
        (
            with_changes(B, prefill__registration_number="SC#123456"),
            "customer.prefill.registration_number",
        ),
        (
            with_changes(B, registration_number="SC654321"),
            "customer.prefill.registration_number",
        ),
        (with_changes(B, registration_number="#1"), "customer.registration_number"),
        (
            with_changes(B, prefill__directors__0__last_name="B" * 31),
            "customer.prefill.directors.0.last_name",
        ),
        (
            with_changes(B, prefill__directors__0__date_of_birth="1971-02-30"),
            "customer.prefill.directors.0.date_of_birth",
        ),
        (
            with_changes(B, prefill__directors__0__date_of_birth="2999-01-01"),
            "customer.prefill.directors.0.date_of_birth",
        ),
        (
            with_changes(B, prefill__directors__0__date_of_birth="26/12/1971"),
            "customer.prefill.directors.0.date_of_birth",
        ),
        (
            with_changes(B, prefill__directors__0__country_of_residence="UK"),
            "customer.prefill.directors.0.country_of_residence",
        ),
        (
            with_changes(B, prefill__directors=[B["prefill"]["directors"][0]] * 21),
            "customer.prefill.directors",
        ),
        (
            with_changes(B, prefill__ubos__0__ownership_percentage=101),
            "customer.prefill.ubos.0.ownership_percentage",
        ),
        (
            with_changes(B, prefill__ubos__0__ownership_percentage="60"),
            "customer.prefill.ubos.0.ownership_percentage",
        ),
        (
            with_changes(B, prefill__ubos__0__ownership_percentage=True),
            "customer.prefill.ubos.0.ownership_percentage",
        ),
        (
            with_changes(B, prefill__ubos=[B["prefill"]["ubos"][0], TWO_THIRDS]),
            "customer.prefill.ubos",
        ),
        (with_changes(B, prefill__ubos__0__name=None), "customer.prefill.ubos.0.name"),
        # A personal shape for a business customer is checked as the business shape.
        (with_changes(B, prefill=P["prefill"]), "customer.prefill.business_name"),
    ],
)
def test_bad_prefill_fields_are_named(
    client: FlaskClient, api_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=body, headers=api_headers)
    assert response.status_code == 400, response.json
    assert response.json["error"] == "invalid_request"
    assert response.json["field"] == field
    assert field in response.json["error_description"]


@pytest.mark.parametrize("customer", [PERSONAL_CUSTOMER, BUSINESS_CUSTOMER])
def test_valid_prefill_sessions_are_created(
    client: FlaskClient, api_headers: dict[str, str], customer: dict[str, Any]
) -> None:
    response = client.post(URL, json=prefill_body(customer), headers=api_headers)
    assert response.status_code == 201
    assert set(response.json) == {"id", "status", "launch_url", "expires_at"}
    read = client.get(f"{URL}/{response.json['id']}", headers=api_headers).json
    assert read["mode"] == "prefill"
    assert read["status"] == "created"
    assert read["existing_account"] is False
    assert read["prefill_errors"] == []
    assert "prefill" not in read


ADDRESS = {"first_line": "1 Burntisland Road", "city": "Edinburgh", "country": "GBR"}


def test_minimal_prefills_are_enough(client: FlaskClient, api_headers: dict[str, str]) -> None:
    """What Wise requires, and nothing more: each is accepted."""
    personal = {
        "first_name": "Mary",
        "last_name": "Somerville",
        "phone_number": "+447700900123",
        "address": ADDRESS,
    }
    business = {
        "business_name": "Difference Engines Ltd",
        "company_type": "SOLE_PROPRIETORSHIP",  # no registration number needed
        "first_level_category": "CONSULTING_IT_BUSINESS_SERVICES",
        "second_level_category": "IT_DEVELOPMENT",
        "address": ADDRESS,
        "business_representative": {
            "first_name": "Charles",
            "last_name": "Babbage",
            "date_of_birth": "1971-12-26",
            "phone_number": "+447700900456",
            "address": ADDRESS,
        },
    }
    canadian = {
        **personal,
        "address": {**ADDRESS, "country": "CAN", "state_code": "QC"},
        "occupation": "Mathematician",
    }
    for customer, prefill in (
        (PERSONAL_CUSTOMER, personal),
        (PERSONAL_CUSTOMER, canadian),
        (BUSINESS_CUSTOMER, business),
    ):
        body = prefill_body({**customer, "prefill": prefill})
        response = client.post(URL, json=body, headers=api_headers)
        assert response.status_code == 201, response.json


def test_a_representative_id_is_taken_with_the_v3_endpoint(
    config: dict[str, Any], api_headers: dict[str, str]
) -> None:
    app = create_app({**config, "ONBOARDING_WISE_BUSINESS_PROFILE_API": "v3"})
    body = with_changes(B, prefill__business_representative={"business_representative_id": 7})
    response = app.test_client().post(URL, json=body, headers=api_headers)
    assert response.status_code == 201, response.json


def raw_database(database_url: str) -> bytes:
    path = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def stored(app: Flask, column: str) -> Any:
    with runtime_of(app).job() as ctx:
        return ctx.db.execute(text(f"SELECT {column} FROM onboarding_session")).all()


def test_prefill_is_stored_encrypted_and_erased_when_the_session_ends(
    client: FlaskClient,
    app: Flask,
    api_headers: dict[str, str],
    database_url: str,
    clock: FrozenClock,
) -> None:
    created = client.post(URL, json=prefill_body(), headers=api_headers).json
    ((ciphertext,),) = stored(app, "prefill_ciphertext")
    cipher = runtime_of(app).cipher
    assert "Burntisland" in cipher.decrypt(ciphertext)
    raw = raw_database(database_url)
    for value in ("Somerville", "Burntisland", "+447700900123", "Mathematician"):
        assert value.encode() not in raw
    clock.advance(600)
    assert client.get(f"{URL}/{created['id']}", headers=api_headers).json["status"] == "expired"
    (row,) = stored(app, "prefill_ciphertext, customer_email, customer_registration_number")
    assert tuple(row) == (None, None, None)


def test_business_registration_number_is_kept_for_the_check_and_erased_after(
    client: FlaskClient, app: Flask, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    client.post(URL, json=prefill_body(BUSINESS_CUSTOMER), headers=api_headers)
    assert stored(app, "customer_registration_number") == [("SC123456",)]
    clock.advance(600)
    client.post(URL, json=prefill_body(BUSINESS_CUSTOMER), headers=api_headers)
    with runtime_of(app).job() as ctx:
        from backend.services import onboarding

        assert onboarding.sweep(ctx=ctx) == 1
    numbers = [number for (number,) in stored(app, "customer_registration_number")]
    assert sorted(numbers, key=str) == [None, "SC123456"]
