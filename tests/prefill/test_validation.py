"""Creating prefill sessions: every bad field is named, and the data is stored encrypted."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

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
        (with_changes(P, prefill__address__city=None), "customer.prefill.address.city"),
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


def test_minimal_prefills_are_enough(client: FlaskClient, api_headers: dict[str, str]) -> None:
    personal = {"first_name": "Mary", "last_name": "Somerville", "phone_number": "+447700900123"}
    business = {"business_name": "Difference Engines Ltd"}
    for customer, prefill in ((PERSONAL_CUSTOMER, personal), (BUSINESS_CUSTOMER, business)):
        body = prefill_body({**customer, "prefill": prefill})
        assert client.post(URL, json=body, headers=api_headers).status_code == 201


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
