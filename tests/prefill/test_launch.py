"""Launching in prefill mode: account, profiles and claim code at Wise, then the usual return."""

from __future__ import annotations

import html
import logging
import re
import threading
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.prefill.conftest import (
    BUSINESS_CUSTOMER,
    CLIENT_ID,
    PERSONAL_CUSTOMER,
    PrefillKit,
    claim_code_of,
    prefill_body,
    query_of,
)
from tests.support.waiting import wait_until

SIGN_UP = "POST /v1/user/signup/registration_code"
CLAIM = "POST /v1/user/claim-account"


def created_counts(wise: EmulatorControl) -> tuple[int, int]:
    """Users and profiles the emulator has created so far (demo users included)."""
    counters = wise.counters()
    return counters["users_created"], counters["profiles_created"]


def db_value(database_url: str, sql: str) -> Any:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def registration_code(stack: Stack, database_url: str, customer: str = "c-mary") -> str:
    ciphertext = db_value(
        database_url,
        "SELECT registration_code_ciphertext FROM prefill_account "
        f"WHERE customer_external_id = '{customer}'",
    )
    return str(stack.kit_app.extensions["onboarding.cipher"].decrypt(ciphertext))


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


def test_business_prefill_creates_profile_directors_and_owners(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    user = wise.get_user("charles@engines.example")
    assert user is not None
    (profile,) = user["profiles"]
    assert profile["type"] == "BUSINESS"
    assert (profile["businessName"], profile["registrationNumber"], profile["companyType"]) == (
        "Difference Engines Ltd",
        "SC123456",
        "LIMITED",
    )
    assert profile["address"]["city"] == "London"
    assert [(d["firstName"], d["lastName"], d["dateOfBirth"]) for d in profile["directors"]] == [
        ("Charles", "Babbage", "1971-12-26")
    ]
    assert profile["directors"][0]["countryOfResidenceIso3Code"] == "gbr"
    assert [(u["name"], u["ownershipPercentage"]) for u in profile["ubos"]] == [
        ("Georgiana Whitmore", 60)
    ]

    returned = prefill_kit.claim_and_return(launched, "charles@engines.example")
    assert query_of(returned.headers["Location"])["status"] == "linked"
    session = prefill_kit.session(created["id"])
    assert session["identity_check"] == "passed"
    assert prefill_kit.api.get_link("c-engines")["profile_type"] == "business"


def walk_claim_pages(
    emulator_url: str, authorize_url: str, edit: dict[str, str]
) -> tuple[str, str]:
    """Claim at Wise through its pages; return the review page and where consent redirects.

    ``edit`` changes review fields by the end of their names (``registration_number``).
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
    http.post(f"{emulator_url}/oauth/authorize/claim/review", data=form, timeout=15)
    consent = http.post(
        f"{emulator_url}/oauth/authorize/consent",
        data={"decision": "allow"},
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
        stack.emulator_url, launched.authorize_url, {"registration_number": "SC999999"}
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
    assert len(user["profiles"]) == 1


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


# -- Wise unavailable --------------------------------------------------------------------------


def test_wise_down_during_launch_keeps_the_link_and_recovers_without_duplicates(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    before = created_counts(wise)
    wise.add_fault("POST", "/v1/user/claim-account", status=503, count=None)
    created = prefill_kit.create(prefill_body())

    down = requests.get(created["launch_url"], allow_redirects=False, timeout=30)
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert "text/html" in down.headers["Content-Type"]
    assert "Your link still works" in down.text
    assert "Set-Cookie" not in down.headers
    assert prefill_kit.session(created["id"])["status"] == "created"
    assert wise.counters()["paths"][CLAIM] > 1  # retried with backoff before giving up

    wise.clear_faults()
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    assert created_counts(wise) == (before[0] + 1, before[1] + 1)
    user = wise.get_user("mary@example.com")
    assert user is not None
    assert len(user["profiles"]) == 1
    returned = prefill_kit.claim_and_return(launched, "mary@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def test_a_retry_after_the_sign_up_skips_it(prefill_kit: PrefillKit, wise: EmulatorControl) -> None:
    # The sign-up worked, then Wise went down: the kit remembers the user and does not sign up
    # again on the next launch.
    wise.add_fault("POST", "/oauth/token", status=502, count=None, grant_type="registration_code")
    created = prefill_kit.create(prefill_body())
    assert requests.get(created["launch_url"], timeout=30).status_code == 503
    wise.clear_faults()
    before = created_counts(wise)
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    assert created_counts(wise) == (before[0], before[1] + 1)
    assert wise.counters()["paths"][SIGN_UP] == 1


def test_a_lost_sign_up_answer_is_recognised_by_the_registration_code(
    prefill_kit: PrefillKit, wise: EmulatorControl, stack: Stack, database_url: str
) -> None:
    wise.add_fault("POST", "/v1/user/signup/registration_code", status=503, count=None)
    created = prefill_kit.create(prefill_body())
    assert requests.get(created["launch_url"], timeout=30).status_code == 503
    # Wise did create the account, but the kit never heard back: do the sign-up it sent.
    wise.clear_faults()
    auth = (CLIENT_ID, "acme-bank-demo-secret")
    app_token = requests.post(
        f"{stack.emulator_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=auth,
        timeout=15,
    ).json()["access_token"]
    signed_up = requests.post(
        f"{stack.emulator_url}/v1/user/signup/registration_code",
        json={
            "email": "mary@example.com",
            "registrationCode": registration_code(stack, database_url),
        },
        headers={"Authorization": f"Bearer {app_token}"},
        timeout=15,
    )
    assert signed_up.status_code == 200
    before = created_counts(wise)

    launched = prefill_kit.launch(created)
    # Sign-up answers 409, the registration code proves the account is the kit's: carry on.
    assert claim_code_of(launched)
    assert prefill_kit.session(created["id"])["existing_account"] is False
    assert created_counts(wise) == (before[0], before[1] + 1)
    returned = prefill_kit.claim_and_return(launched, "mary@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def test_transient_failures_are_retried_within_one_launch(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    wise.add_fault("POST", "/oauth/token", status=500, count=1, grant_type="client_credentials")
    wise.add_fault("POST", "/v1/user/signup/registration_code", status=503, count=2)
    wise.add_fault("POST", "/v2/profiles/personal-profile", status=429, count=1)
    created = prefill_kit.create(prefill_body())
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    counters = wise.counters()
    assert counters["paths"][SIGN_UP] == 3
    assert counters["token_requests"]["client_credentials"] == 2
    user = wise.get_user("mary@example.com")
    assert user is not None
    assert len(user["profiles"]) == 1


def test_a_slow_wise_is_cut_off_by_the_time_budget(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    wise.add_fault("POST", "/v1/user/signup/registration_code", status=None, delay_seconds=6)
    created = prefill_kit.create(prefill_body())
    response = requests.get(created["launch_url"], allow_redirects=False, timeout=30)
    assert response.status_code == 503
    assert response.elapsed.total_seconds() < 5  # the budget is 2 s in these tests


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


# -- the shared application token -----------------------------------------------------------------


def test_the_application_token_is_cached_and_renewed_before_it_expires(
    prefill_kit: PrefillKit, wise: EmulatorControl, clock: Any
) -> None:
    for number in range(3):
        customer = {**PERSONAL_CUSTOMER, "external_id": f"c-{number}"}
        customer["email"] = f"customer{number}@example.com"
        assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body(customer))))
    assert wise.counters()["token_requests"]["client_credentials"] == 1
    # Wise's tokens live 43199 s; the kit renews 600 s (the default margin) before that.
    clock.advance(43199 - 600)
    assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body())))
    assert wise.counters()["token_requests"]["client_credentials"] == 2


def test_a_token_wise_no_longer_accepts_is_replaced(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    customer = {**PERSONAL_CUSTOMER, "external_id": "c-0", "email": "first@example.com"}
    prefill_kit.launch(prefill_kit.create(prefill_body(customer)))
    wise.add_fault(
        "POST",
        "/v1/user/signup/registration_code",
        status=401,
        count=1,
        body={"error": "invalid_token", "error_description": "revoked"},
    )
    assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body())))
    assert wise.counters()["token_requests"]["client_credentials"] == 2


# -- concurrency ---------------------------------------------------------------------------


def test_a_second_request_during_preparation_is_asked_to_try_again(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    wise.add_fault("POST", "/v1/user/claim-account", status=None, delay_seconds=1)
    created = prefill_kit.create(prefill_body())
    results: list[requests.Response] = []
    first = threading.Thread(
        target=lambda: results.append(
            requests.get(created["launch_url"], allow_redirects=False, timeout=30)
        )
    )
    first.start()
    wait_until(
        lambda: wise.counters()["paths"].get(CLAIM, 0), lambda n: n >= 1, what="the claim call"
    )
    second = requests.get(created["launch_url"], allow_redirects=False, timeout=30)
    first.join()
    assert second.status_code == 503
    assert second.headers["Retry-After"] == "5"
    assert "already preparing" in second.text
    assert results[0].status_code == 303
    assert requests.get(created["launch_url"], timeout=30).status_code == 410


def concurrent_launches(url: str, count: int = 20) -> list[requests.Response]:
    barrier = threading.Barrier(count)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def launch() -> None:
        barrier.wait()
        response = requests.get(url, allow_redirects=False, timeout=60)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=launch) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def assert_one_redirect_and_one_user(
    responses: list[requests.Response], wise: EmulatorControl, before: tuple[int, int]
) -> None:
    winners = [r for r in responses if r.status_code == 303]
    assert len(winners) == 1
    assert "claim_account_code=" in winners[0].headers["Location"]
    assert {r.status_code for r in responses} <= {303, 410, 503}
    assert created_counts(wise) == (before[0] + 1, before[1] + 1)
    assert wise.counters()["paths"][SIGN_UP] == 1
    assert wise.counters()["created"]["claim_account_codes"] == 1


def test_twenty_concurrent_launches_make_one_redirect_and_one_wise_user(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    before = created_counts(wise)
    responses = concurrent_launches(created["launch_url"])
    assert_one_redirect_and_one_user(responses, wise, before)


@pytest.mark.postgres
def test_twenty_concurrent_launches_on_postgres(postgres_url: str, stack_factory: Any) -> None:
    from tests.support.kit import KitApi

    running = stack_factory(database=postgres_url)
    kit, wise = PrefillKit(KitApi(running.kit_url), running), EmulatorControl(running.emulator_url)
    created = kit.create(prefill_body())
    before = created_counts(wise)
    responses = concurrent_launches(created["launch_url"])
    assert_one_redirect_and_one_user(responses, wise, before)
    returned = kit.claim_and_return(kit_launched(responses, created["id"]), "mary@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def kit_launched(responses: list[requests.Response], session_id: str) -> Any:
    from tests.support.kit import Launched

    (winner,) = [r for r in responses if r.status_code == 303]
    (cookie,) = list(winner.cookies)
    location = winner.headers["Location"]
    return Launched(
        session_id, location, query_of(location)["state"], cookie.name, cookie.value or ""
    )


# -- hygiene ---------------------------------------------------------------------------------


def test_no_prefill_data_or_code_reaches_the_logs(
    prefill_kit: PrefillKit,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wise.add_fault("POST", "/v2/profiles/personal-profile", status=400, count=1)
    with caplog.at_level(logging.DEBUG):
        launched = prefill_kit.launch(prefill_kit.create(prefill_body()))
        prefill_kit.claim_and_return(launched, "mary@example.com")
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if r.threadName != "MainThread"
    )
    assert "prefill: Wise refused personal_profile (400)" in logged
    secrets = [
        "mary@example.com",
        "Somerville",
        "+447700900123",
        "Burntisland",
        "1980-12-26",
        registration_code(stack, database_url),
        str(claim_code_of(launched)),
    ]
    for value in secrets:
        assert value not in logged


def test_unreachable_wise_shows_a_friendly_page_and_keeps_the_link(
    config: dict[str, Any], api_headers: dict[str, str]
) -> None:
    from backend import create_app

    app = create_app({**config, "ONBOARDING_PREFILL_TIME_BUDGET_SECONDS": "0.5"})
    client = app.test_client()
    created = client.post("/api/v1/onboarding-sessions", json=prefill_body(), headers=api_headers)
    path = created.json["launch_url"].removeprefix("http://localhost:5000")
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        page = response.get_data(as_text=True)
        assert "Please try again in a moment" in page
        assert "Your link still works" in page
    session = client.get(
        f"/api/v1/onboarding-sessions/{created.json['id']}", headers=api_headers
    ).json
    assert session["status"] == "created"
