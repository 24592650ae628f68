"""Prefill launches when Wise is slow, down or raced: retries, budget, shared token, one user."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests

from backend import create_app
from backend.extensions import runtime_of
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.prefill.conftest import (
    BUSINESS_CUSTOMER,
    CLAIM,
    CLIENT_ID,
    PERSONAL_CUSTOMER,
    SIGN_UP,
    PrefillKit,
    claim_code_of,
    created_counts,
    prefill_body,
    query_of,
    registration_code,
)
from tests.support.kit import KitApi, Launched
from tests.support.waiting import wait_until

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
    # The retried profile call carried the same X-idempotence-uuid, so Wise answered it as the
    # first one: no duplicate, and nothing refused.
    assert prefill_kit.session(created["id"])["prefill_errors"] == []
    returned = prefill_kit.claim_and_return(launched, "mary@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def test_a_retried_business_launch_repeats_each_call_with_its_idempotence_uuid(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    from tests.prefill.conftest import BUSINESS_CUSTOMER

    wise.add_fault("POST", "/v1/user/claim-account", status=503, count=None)
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    assert requests.get(created["launch_url"], allow_redirects=False, timeout=30).status_code == 503
    wise.clear_faults()
    assert claim_code_of(prefill_kit.launch(created))
    assert prefill_kit.session(created["id"])["prefill_errors"] == []
    user = wise.get_user("charles@engines.example")
    assert user is not None
    # The representative's personal profile and the business, once each; and since Wise has no
    # idempotence for people, the kit found the director and owner there and added nobody again.
    representative, business = user["profiles"]
    assert representative["type"] == "PERSONAL"
    assert len(business["directors"]) == 1
    assert len(business["ubos"]) == 1


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


def app_token_requests(wise: EmulatorControl) -> int:
    """Client-credentials grants so far (the demo stack takes one at start to subscribe)."""
    return int(wise.counters()["token_requests"].get("client_credentials", 0))


def test_transient_failures_are_retried_within_one_launch(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    baseline = app_token_requests(wise)
    wise.add_fault("POST", "/oauth/token", status=500, count=1, grant_type="client_credentials")
    wise.add_fault("POST", "/v1/user/signup/registration_code", status=503, count=2)
    wise.add_fault("POST", "/v2/profiles/personal-profile", status=429, count=1)
    created = prefill_kit.create(prefill_body())
    launched = prefill_kit.launch(created)
    assert claim_code_of(launched)
    counters = wise.counters()
    assert counters["paths"][SIGN_UP] == 3
    assert counters["token_requests"]["client_credentials"] == baseline + 2
    user = wise.get_user("mary@example.com")
    assert user is not None
    assert len(user["profiles"]) == 1


def test_a_slow_wise_is_cut_off_by_the_time_budget(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    # Wise never answers the sign-up: only the kit's own budget (2 s in these tests) ends it.
    fault = wise.add_fault("POST", "/v1/user/signup/registration_code", status=None, hold=True)
    created = prefill_kit.create(prefill_body())
    try:
        response = requests.get(created["launch_url"], allow_redirects=False, timeout=30)
    finally:
        wise.release_fault(fault["id"])
    assert response.status_code == 503
    assert prefill_kit.session(created["id"])["status"] == "created"


# -- the shared application token -----------------------------------------------------------------


def test_the_application_token_is_cached_and_renewed_before_it_expires(
    prefill_kit: PrefillKit, wise: EmulatorControl, clock: Any
) -> None:
    baseline = app_token_requests(wise)
    for number in range(3):
        customer = {**PERSONAL_CUSTOMER, "external_id": f"c-{number}"}
        customer["email"] = f"customer{number}@example.com"
        assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body(customer))))
    assert app_token_requests(wise) == baseline + 1
    # Wise's tokens live 43199 s; the kit renews 600 s (the default margin) before that.
    clock.advance(43199 - 600)
    assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body())))
    assert app_token_requests(wise) == baseline + 2


def test_a_token_wise_no_longer_accepts_is_replaced(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    baseline = app_token_requests(wise)
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
    assert app_token_requests(wise) == baseline + 2


# -- concurrency ---------------------------------------------------------------------------


def test_a_second_request_during_preparation_is_asked_to_try_again(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    fault = wise.add_fault("POST", "/v1/user/claim-account", status=None, hold=True)
    created = prefill_kit.create(prefill_body())
    results: list[requests.Response] = []
    first = threading.Thread(
        target=lambda: results.append(
            requests.get(created["launch_url"], allow_redirects=False, timeout=30)
        )
    )
    first.start()
    wait_until(
        lambda: wise.fault(fault["id"])["waiting"],
        lambda n: n == 1,
        what="the first launch to be waiting on the claim call",
    )
    second = requests.get(created["launch_url"], allow_redirects=False, timeout=30)
    wise.release_fault(fault["id"])
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
    responses: list[requests.Response],
    wise: EmulatorControl,
    before: tuple[int, int],
    profiles: int = 1,
) -> None:
    winners = [r for r in responses if r.status_code == 303]
    assert len(winners) == 1
    assert "claim_account_code=" in winners[0].headers["Location"]
    assert {r.status_code for r in responses} <= {303, 410, 503}
    assert created_counts(wise) == (before[0] + 1, before[1] + profiles)
    assert wise.counters()["paths"][SIGN_UP] == 1
    assert wise.counters()["created"]["claim_account_codes"] == 1


def test_twenty_concurrent_launches_make_one_redirect_and_one_wise_user(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    created = prefill_kit.create(prefill_body(BUSINESS_CUSTOMER))
    before = created_counts(wise)
    responses = concurrent_launches(created["launch_url"])
    # One user: the representative's personal profile and the business profile.
    assert_one_redirect_and_one_user(responses, wise, before, profiles=2)


@pytest.mark.postgres
def test_twenty_concurrent_launches_on_postgres(
    postgres_url: str, stack_factory: Callable[..., Stack]
) -> None:
    running = stack_factory(database=postgres_url)
    kit, wise = PrefillKit(KitApi(running.kit_url), running), EmulatorControl(running.emulator_url)
    created = kit.create(prefill_body())
    before = created_counts(wise)
    responses = concurrent_launches(created["launch_url"])
    assert_one_redirect_and_one_user(responses, wise, before)
    returned = kit.claim_and_return(the_winner(responses, created["id"]), "mary@example.com")
    assert query_of(returned.headers["Location"])["status"] == "linked"


def the_winner(responses: list[requests.Response], session_id: str) -> Launched:
    """What the browser that got the redirect holds."""
    (winner,) = [r for r in responses if r.status_code == 303]
    (cookie,) = list(winner.cookies)
    location = winner.headers["Location"]
    return Launched(
        session_id, location, query_of(location)["state"], cookie.name, cookie.value or ""
    )


def test_unreachable_wise_shows_a_friendly_page_and_keeps_the_link(
    config: dict[str, Any], api_headers: dict[str, str]
) -> None:
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


def test_the_application_token_is_shared_by_every_instance(
    stack: Stack, prefill_kit: PrefillKit, wise: EmulatorControl, clock: Any, database_url: str
) -> None:
    from urllib.parse import urlsplit

    from tests.lifecycle.helpers import instance_config

    baseline = app_token_requests(wise)
    assert claim_code_of(prefill_kit.launch(prefill_kit.create(prefill_body())))
    assert app_token_requests(wise) == baseline + 1
    # A second instance on the same database launches another customer with the same token.
    other = create_app({**instance_config(stack, database_url), "CLOCK": clock})
    customer = {**PERSONAL_CUSTOMER, "external_id": "c-other", "email": "other@example.com"}
    created = prefill_kit.create(prefill_body(customer))
    response = other.test_client().get(urlsplit(created["launch_url"]).path)
    assert response.status_code == 303
    assert "claim_account_code=" in response.headers["Location"]
    assert app_token_requests(wise) == baseline + 1
    runtime_of(other).engine.dispose()
