"""Launching in prefill mode: account, profiles and claim code at Wise, then the usual return."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests

from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.prefill.conftest import (
    BUSINESS_CUSTOMER,
    CLIENT_ID,
    PERSONAL_CUSTOMER,
    SIGN_UP,
    PrefillKit,
    claim_code_of,
    created_counts,
    db_value,
    prefill_body,
    query_of,
    registration_code,
)
from tests.support.kit import KitApi

# -- the happy paths ---------------------------------------------------------------------------


def test_personal_prefill_creates_the_account_then_links_after_the_claim(
    prefill_kit: PrefillKit, wise: EmulatorControl, stack: Stack, database_url: str
) -> None:
    before = created_counts(wise)
    created = prefill_kit.create(prefill_body())
    launched = prefill_kit.launch(created)

    query = query_of(launched.authorize_url)
    assert launched.authorize_url.startswith(f"{stack.emulator_url}/oauth/authorize/?")
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == prefill_kit.callback_url
    assert query["claim_account_code"]
    user = wise.get_user("mary@example.com")
    assert user is not None
    assert user["claimed"] is False
    assert user["created_by_client_id"] == CLIENT_ID
    (profile,) = user["profiles"]
    assert profile["type"] == "PERSONAL"
    assert (profile["firstName"], profile["lastName"], profile["preferredName"]) == (
        "Mary",
        "Somerville",
        "Molly",
    )
    assert profile["dateOfBirth"] == "1980-12-26"
    assert profile["nationality"] == "gbr"
    assert profile["externalCustomerId"] == "c-mary"
    assert profile["contactDetails"] == {
        "email": "mary@example.com",
        "phoneNumber": "+447700900123",
    }
    assert profile["occupations"] == [{"code": "Mathematician", "format": "FREE_FORM"}]
    assert profile["address"]["addressFirstLine"] == "1 Burntisland Road"
    assert profile["address"]["countryIso3Code"] == "gbr"
    assert created_counts(wise) == (before[0] + 1, before[1] + 1)

    session = prefill_kit.session(created["id"])
    assert (session["status"], session["existing_account"], session["prefill_errors"]) == (
        "launched",
        False,
        [],
    )
    # Wise holds the data now: the kit dropped its copy at the redirect.
    assert db_value(database_url, "SELECT prefill_ciphertext FROM onboarding_session") is None
    assert len(registration_code(stack, database_url)) >= 32

    returned = prefill_kit.claim_and_return(launched, "mary@example.com")
    assert returned.status_code == 303
    assert query_of(returned.headers["Location"])["status"] == "linked"
    session = prefill_kit.session(created["id"])
    assert (session["status"], session["identity_check"]) == ("linked", "passed")
    link = prefill_kit.api.get_link("c-mary")
    assert (link["profile_id"], link["profile_type"]) == (profile["id"], "personal")
    assert link["identity_check"] == "passed"


def test_business_prefill_creates_representative_business_directors_and_owners(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    """The default (v2, as Wise recommends): the representative's personal profile first."""
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    assert prefill_kit.session(created["id"])["prefill_errors"] == []
    user = wise.get_user("charles@engines.example")
    assert user is not None
    representative, business = user["profiles"]
    assert representative["type"] == "PERSONAL"
    assert (representative["firstName"], representative["lastName"]) == ("Charles", "Babbage")
    assert representative["dateOfBirth"] == "1971-12-26"
    assert representative["contactDetails"] == {
        "email": "charles@engines.example",
        "phoneNumber": "+447700900456",
    }
    assert_business_as_sent(business)
    paths = wise.counters()["paths"]
    assert paths["POST /v2/profiles/business-profile"] == 1
    assert "POST /v3/profiles/business-profile" not in paths

    returned = prefill_kit.claim_and_return(launched, "charles@engines.example", "BUSINESS")
    assert query_of(returned.headers["Location"])["status"] == "linked"
    session = prefill_kit.session(created["id"])
    assert session["identity_check"] == "passed"
    assert prefill_kit.api.get_link("c-engines")["profile_type"] == "business"


def assert_business_as_sent(business: dict[str, Any]) -> None:
    """The business profile at Wise holds what BUSINESS_CUSTOMER sent, in Wise's names."""
    assert business["type"] == "BUSINESS"
    assert (business["businessName"], business["registrationNumber"]) == (
        "Difference Engines Ltd",
        "SC123456",
    )
    assert (business["companyType"], business["companyRole"]) == ("LIMITED", "DIRECTOR")
    assert (business["firstLevelCategory"], business["secondLevelCategory"]) == (
        "CONSULTING_IT_BUSINESS_SERVICES",
        "SCIENTIFIC_AND_TECHNICAL_CONSULTING",
    )
    assert business["webpage"] == "https://engines.example"
    assert business["businessFreeFormDescription"].startswith("Calculating engines")
    assert business["externalCustomerId"] == "c-engines"
    assert business["address"]["city"] == "London"
    assert business["address"]["countryIso3Code"] == "gbr"
    assert [(d["firstName"], d["lastName"], d["dateOfBirth"]) for d in business["directors"]] == [
        ("Charles", "Babbage", "1971-12-26")
    ]
    assert business["directors"][0]["countryOfResidenceIso3Code"] == "gbr"
    assert [(u["name"], u["ownershipPercentage"]) for u in business["ubos"]] == [
        ("Georgiana Whitmore", 60)
    ]


@pytest.mark.parametrize("answer", ["profile", "empty"])
def test_the_v3_endpoint_sends_the_representative_in_the_business_body(
    stack_factory: Callable[..., Stack], answer: str
) -> None:
    """v3, with and without an id in Wise's answer (Wise documents it without a body)."""
    stack = stack_factory(ONBOARDING_WISE_BUSINESS_PROFILE_API="v3")
    wise = EmulatorControl(stack.emulator_url)
    wise.update_settings(business_profile_v3_answer=answer)
    prefill_kit = PrefillKit(KitApi(stack.kit_url), stack)
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    launched = prefill_kit.launch(created)
    assert prefill_kit.session(created["id"])["prefill_errors"] == []
    user = wise.get_user("charles@engines.example")
    assert user is not None
    [business] = user["profiles"]
    assert_business_as_sent(business)
    representative = business["representative"]
    assert (representative["firstName"], representative["dateOfBirth"]) == ("Charles", "1971-12-26")
    assert representative["address"]["countryIso3Code"] == "gbr"
    assert representative["contactDetails"]["email"] == "charles@engines.example"
    paths = wise.counters()["paths"]
    assert "POST /v2/profiles/personal-profile" not in paths
    # Without an id in the answer, the kit finds the business in the profile list.
    assert ("GET /v2/profiles" in paths) is (answer == "empty")
    returned = prefill_kit.claim_and_return(launched, "charles@engines.example", "BUSINESS")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def test_a_lost_answer_to_the_directors_call_adds_nobody_twice(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    # Wise adds the director, then the answer is lost; Wise documents no idempotence header here.
    wise.add_fault("POST", "/v1/profiles/*/directors", status=503, count=1, lose_answer=True)
    wise.add_fault("POST", "/v1/profiles/*/ubos", status=503, count=1, lose_answer=True)
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    assert claim_code_of(prefill_kit.launch(created))
    assert prefill_kit.session(created["id"])["prefill_errors"] == []
    user = wise.get_user("charles@engines.example")
    assert user is not None
    business = user["profiles"][1]
    assert [d["lastName"] for d in business["directors"]] == ["Babbage"]
    assert [u["name"] for u in business["ubos"]] == ["Georgiana Whitmore"]
    paths = wise.counters()["paths"]
    people = [p for p in paths if p.startswith("POST /v1/profiles/")]
    assert sorted(paths[p] for p in people) == [1, 1]
    assert [paths[p] for p in paths if p.startswith("GET /v1/profiles/")] == [2, 2]


def walk_claim_pages(
    emulator_url: str, authorize_url: str, edit: dict[str, str], profile: str = "Personal"
) -> tuple[str, str]:
    """Claim at Wise through its pages; return the review page and where consent redirects.

    ``edit`` changes review fields by the end of their names (``registration_number``);
    ``profile`` is the kind of profile chosen at consent when there are several.
    """
    http = requests.Session()
    assert http.get(authorize_url, timeout=15).url.endswith("/oauth/authorize/claim/password")
    http.post(
        f"{emulator_url}/oauth/authorize/claim/password",
        data={"password": "longenough1", "confirm": "longenough1"},
        timeout=15,
    )
    review = http.post(f"{emulator_url}/oauth/authorize/2fa", data={"code": "111111"}, timeout=15)
    assert review.url.endswith("/oauth/authorize/claim/review")
    form = {
        name: html.unescape(value)
        for name, value in re.findall(r'name="([^"]+)" type="[^"]*" value="([^"]*)"', review.text)
    }
    for suffix, value in edit.items():
        (name,) = [n for n in form if n.endswith(f"-{suffix}")]
        form[name] = value
    page = http.post(f"{emulator_url}/oauth/authorize/claim/review", data=form, timeout=15)
    choices = re.findall(r'value="(\d+)"[^>]*>\s*<label for="[^"]+">[^<]*\((\w+)\)', page.text)
    chosen = {"profile_id": value for value, kind in choices if kind == profile}  # noqa: B035
    consent = http.post(
        f"{emulator_url}/oauth/authorize/consent",
        data={"decision": "allow", **chosen},
        allow_redirects=False,
        timeout=15,
    )
    return review.text, consent.headers["Location"]


def test_business_registration_number_changed_at_wise_fails_the_identity_check(
    prefill_kit: PrefillKit, stack: Stack
) -> None:
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    launched = prefill_kit.launch(created)
    review, back = walk_claim_pages(
        stack.emulator_url, launched.authorize_url, {"registration_number": "SC999999"}, "Business"
    )
    for shown in ("Difference Engines Ltd", "SC123456", "Babbage", "Georgiana Whitmore", "60"):
        assert f'value="{shown}"' in review
    returned = prefill_kit.api.callback(query_of(back), launched.cookies)
    assert query_of(returned.headers["Location"])["reason"] == "identity_mismatch"
    session = prefill_kit.session(created["id"])
    assert (session["status"], session["identity_check"]) == ("failed", "failed")
    assert prefill_kit.api.get_link("c-engines")["status"] == "not_linked"


# -- falling back, and calls Wise refuses ----------------------------------------------------------


def test_an_existing_email_falls_back_to_log_in_and_link(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    customer = {
        **PERSONAL_CUSTOMER,
        "external_id": "c-ada",
        "email": "ada@example.com",
        "date_of_birth": "1990-04-01",
    }
    before = created_counts(wise)
    created = prefill_kit.create(prefill_body(customer))
    launched = prefill_kit.launch(created)

    assert claim_code_of(launched) is None
    assert query_of(launched.authorize_url)["state"] == launched.state
    session = prefill_kit.session(created["id"])
    assert (session["status"], session["existing_account"]) == ("launched", True)
    assert created_counts(wise) == before
    assert wise.counters()["paths"][SIGN_UP] == 1
    ada = wise.get_user("ada@example.com")
    assert ada is not None
    assert len(ada["profiles"]) == 1

    returned = prefill_kit.log_in_and_return(launched, "ada@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"
    assert prefill_kit.session(created["id"])["existing_account"] is True


USERS_EXISTS = "POST /v1/users/exists"


def test_users_exists_is_asked_first_only_when_configured(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory(ONBOARDING_PREFILL_CHECK_USER_EXISTS="true")
    wise = EmulatorControl(stack.emulator_url)
    kit = PrefillKit(KitApi(stack.kit_url), stack)
    # An email Wise knows: no sign-up at all, and the customer logs in to their own account.
    ada = {**PERSONAL_CUSTOMER, "external_id": "c-ada", "email": "ada@example.com",
           "date_of_birth": "1990-04-01"}  # fmt: skip
    launched = kit.launch(kit.create(prefill_body(ada)))
    assert claim_code_of(launched) is None
    assert kit.session(launched.session_id)["existing_account"] is True
    paths = wise.counters()["paths"]
    assert (paths[USERS_EXISTS], paths.get(SIGN_UP, 0)) == (1, 0)
    # A new email: asked, then signed up and prepared as usual.
    launched = kit.launch(kit.create(prefill_body()))
    assert claim_code_of(launched)
    paths = wise.counters()["paths"]
    assert (paths[USERS_EXISTS], paths[SIGN_UP]) == (2, 1)


def test_users_exists_is_not_asked_by_default(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body())))
    assert USERS_EXISTS not in wise.counters()["paths"]


def test_a_refused_profile_call_is_recorded_and_does_not_block(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    wise.add_fault(
        "POST",
        "/v2/profiles/personal-profile",
        status=400,
        count=None,
        body={
            "errors": [
                {
                    "code": "NotNull",
                    "message": "must not be null",
                    "path": "lastName",
                    "arguments": ["mary@example.com"],
                }
            ]
        },
    )
    created = prefill_kit.create(prefill_body())
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    session = prefill_kit.session(created["id"])
    assert session["prefill_errors"] == [
        {"call": "personal_profile", "status": 400, "codes": ["NotNull:lastName"]}
    ]
    user = wise.get_user("mary@example.com")
    assert user is not None
    assert user["profiles"] == []


def test_refused_directors_and_owners_are_each_recorded(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    for kind in ("directors", "ubos"):
        wise.add_fault("POST", f"/v1/profiles/*/{kind}", status=422, count=None)
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    assert claim_code_of(prefill_kit.launch(created))
    errors = prefill_kit.session(created["id"])["prefill_errors"]
    assert [(e["call"], e["status"]) for e in errors] == [("directors", 422), ("ubos", 422)]
    user = wise.get_user("charles@engines.example")
    assert user is not None
    assert [p["type"] for p in user["profiles"]] == ["PERSONAL", "BUSINESS"]


def test_a_refused_business_profile_records_the_people_it_could_not_send(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    wise.add_fault("POST", "/v2/profiles/business-profile", status=422, count=None)
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    assert claim_code_of(prefill_kit.launch(created))
    errors = prefill_kit.session(created["id"])["prefill_errors"]
    assert errors == [
        {"call": "business_profile", "status": 422, "codes": []},
        {"call": "directors", "status": None, "codes": ["skipped_without_business_profile"]},
        {"call": "ubos", "status": None, "codes": ["skipped_without_business_profile"]},
    ]


def test_a_business_profile_answer_without_an_id_does_not_block_the_customer(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    # Replayed on every retry (same idempotence uuid), so it must not become a 503 loop.
    wise.add_fault(
        "POST", "/v2/profiles/business-profile", status=200, count=None, body={"type": "BUSINESS"}
    )
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    errors = prefill_kit.session(created["id"])["prefill_errors"]
    assert errors[0] == {"call": "business_profile", "status": None, "codes": ["answer_without_id"]}
    assert [e["call"] for e in errors[1:]] == ["directors", "ubos"]
    paths = wise.counters()["paths"]
    assert not [p for p in paths if p.endswith(("/directors", "/ubos"))]


def test_a_refused_representative_skips_the_business_it_must_come_before(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    wise.add_fault("POST", "/v2/profiles/personal-profile", status=400, count=None)
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    assert claim_code_of(prefill_kit.launch(created))
    errors = prefill_kit.session(created["id"])["prefill_errors"]
    assert errors == [
        {"call": "representative_profile", "status": 400, "codes": []},
        {
            "call": "business_profile",
            "status": None,
            "codes": ["skipped_without_representative_profile"],
        },
        {"call": "directors", "status": None, "codes": ["skipped_without_business_profile"]},
        {"call": "ubos", "status": None, "codes": ["skipped_without_business_profile"]},
    ]
    assert "POST /v2/profiles/business-profile" not in wise.counters()["paths"]


def test_a_refused_sign_up_falls_back_to_the_plain_authorize_page(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    wise.add_fault("POST", "/v1/user/signup/registration_code", status=422, count=None)
    created = prefill_kit.create(prefill_body())
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched) is None
    session = prefill_kit.session(created["id"])
    assert session["existing_account"] is False
    assert [e["call"] for e in session["prefill_errors"]] == ["signup"]


# -- claim codes and registration codes --------------------------------------------------------


def test_a_claim_code_that_expires_before_the_claim_needs_a_new_session_only(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    before = created_counts(wise)
    first = prefill_kit.launch(prefill_kit.create(prefill_body()))
    assert wise.expire_claim_codes() == 1
    expired = requests.get(first.authorize_url, timeout=15)
    assert expired.status_code == 400
    assert "This link has expired" in expired.text

    # Back at the partner's app, a new session prepares the same account again.
    created = prefill_kit.create(prefill_body())
    second = prefill_kit.launch(created)
    assert claim_code_of(second) not in (None, claim_code_of(first))
    assert created_counts(wise) == (before[0] + 1, before[1] + 1)
    assert wise.counters()["paths"][SIGN_UP] == 1
    returned = prefill_kit.claim_and_return(second, "mary@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def test_the_registration_code_is_refused_after_the_claim(
    prefill_kit: PrefillKit, wise: EmulatorControl, stack: Stack, database_url: str
) -> None:
    launched = prefill_kit.launch(prefill_kit.create(prefill_body()))
    prefill_kit.claim_and_return(launched, "mary@example.com")
    code = registration_code(stack, database_url)
    refused = requests.post(
        f"{stack.emulator_url}/oauth/token",
        data={
            "grant_type": "registration_code",
            "client_id": CLIENT_ID,
            "email": "mary@example.com",
            "registration_code": code,
        },
        auth=(CLIENT_ID, "acme-bank-demo-secret"),
        timeout=15,
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_grant"

    # A later prefill session for the same customer therefore logs in to the claimed account.
    before = created_counts(wise)
    created = prefill_kit.create(prefill_body())
    again = prefill_kit.launch(created)
    assert claim_code_of(again) is None
    assert prefill_kit.session(created["id"])["existing_account"] is True
    assert created_counts(wise) == before
    returned = prefill_kit.log_in_and_return(again, "mary@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def test_a_new_email_gets_a_new_account(
    prefill_kit: PrefillKit, wise: EmulatorControl, stack: Stack, database_url: str
) -> None:
    prefill_kit.launch(prefill_kit.create(prefill_body()))
    old_code = registration_code(stack, database_url)
    moved = {**PERSONAL_CUSTOMER, "email": "mary.s@example.com"}
    assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body(moved))))
    assert registration_code(stack, database_url) != old_code
    for email in ("mary@example.com", "mary.s@example.com"):
        user = wise.get_user(email)
        assert user is not None
        assert len(user["profiles"]) == 1


# -- hygiene ---------------------------------------------------------------------------------


def test_no_prefill_data_or_code_reaches_the_logs(
    prefill_kit: PrefillKit,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wise.add_fault("POST", "/v2/profiles/personal-profile", status=400, count=1)
    existing = {**PERSONAL_CUSTOMER, "external_id": "c-ada", "email": "ada@example.com"}
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="backend"),
        caplog.at_level(logging.DEBUG, logger="sample_app"),
    ):
        launched = prefill_kit.launch(prefill_kit.create(prefill_body()))
        prefill_kit.claim_and_return(launched, "mary@example.com")
        # The existing-email fallback logs its own lines; the address must not be among them.
        prefill_kit.launch(prefill_kit.create(prefill_body(existing)))
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if r.threadName != "MainThread"
    )
    assert "prefill: Wise refused personal_profile (400)" in logged
    secrets = [
        "mary@example.com",
        "ada@example.com",
        "Somerville",
        "+447700900123",
        "Burntisland",
        "1980-12-26",
        registration_code(stack, database_url),
        str(claim_code_of(launched)),
    ]
    for value in secrets:
        assert value not in logged
