"""OAuth return: state and browser binding, outcomes, Wise failures, concurrency.

The kit talks to the Wise emulator over loopback HTTP; the emulator's control API issues codes as
if the customer had consented, and counts token exchanges.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from backend import create_app
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.models import OnboardingSession
from backend.services import callback_replay, links
from backend.wise import TokenSet
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.helpers import query
from tests.support.factories import APP_RETURN_URL, QUERY_RETURN_URL, RETURN_URL
from tests.support.kit import KitApi, Launched
from tests.support.postgres import ON_BOTH_DATABASES, POSTGRES
from tests.support.waiting import wait_until

CLIENT_ID = "acme-bank-demo"


def start(kit: KitApi, **overrides: Any) -> Launched:
    """Create a session and launch it in a fresh browser."""
    created = kit.create_session(**overrides)
    return kit.launch(created["launch_url"], created["id"])


def consent(
    wise: EmulatorControl,
    stack: Stack,
    launched: Launched,
    email: str = "ada@example.com",
    profile_id: int | None = None,
) -> dict[str, str]:
    """Consent at the emulator and return the callback query Wise would send."""
    granted = wise.authorize(
        CLIENT_ID,
        f"{stack.kit_url}/oauth/wise/callback",
        email,
        profile_id=profile_id,
        state=launched.state,
    )
    query = parse_qs(urlsplit(granted["redirect_url"]).query)
    return {key: values[0] for key, values in query.items()}


def token_exchanges(wise: EmulatorControl) -> int:
    return int(wise.counters()["token_requests"].get("authorization_code", 0))


def outcome(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# -- success ---------------------------------------------------------------------------------


def test_consent_links_the_account_and_returns_to_the_app(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    response = kit.callback(consent(wise, stack, launched), launched.cookies)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(RETURN_URL + "?")
    assert outcome(location) == {"session_id": launched.session_id, "status": "linked"}
    session = kit.get_session(launched.session_id)
    assert session["status"] == "linked"
    assert session["failure_reason"] is None
    assert session["completed_at"] is not None
    ada = wise.get_user("ada@example.com")
    assert ada is not None
    assert session["wise_profile_id"] == ada["profiles"][0]["id"]
    link = kit.get_link("c-123")
    assert link["status"] == "linked"
    assert link["profile_id"] == ada["profiles"][0]["id"]
    assert link["profile_type"] == "personal"
    assert token_exchanges(wise) == 1
    # The binding cookie is spent.
    spent = response.headers["Set-Cookie"]
    assert spent.startswith("wise_onboarding=;")
    assert "Max-Age=0" in spent
    assert response.headers["Cache-Control"] == "no-store"


def test_return_url_query_is_kept(kit: KitApi, wise: EmulatorControl, stack: Stack) -> None:
    launched = start(kit, return_url=QUERY_RETURN_URL)
    response = kit.callback(consent(wise, stack, launched), launched.cookies)
    query = outcome(response.headers["Location"])
    assert query == {"tenant": "eu", "session_id": launched.session_id, "status": "linked"}


def test_app_scheme_return_url(kit: KitApi, wise: EmulatorControl, stack: Stack) -> None:
    launched = start(kit, return_url=APP_RETURN_URL)
    response = kit.callback(consent(wise, stack, launched), launched.cookies)
    assert response.headers["Location"] == (
        f"{APP_RETURN_URL}?session_id={launched.session_id}&status=linked"
    )


# -- state and binding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"code": "abc", "profileId": "1"},
        {"code": "abc", "state": ""},
        {"code": "abc", "state": "x" * 1000},
        {"code": "abc", "state": "never-issued-state-value-0123456789abcdef"},
    ],
)
def test_missing_or_unknown_state_is_rejected_without_calling_wise(
    kit: KitApi, wise: EmulatorControl, stack: Stack, params: dict[str, str]
) -> None:
    launched = start(kit)
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 400
    assert "text/html" in response.headers["Content-Type"]
    assert "Location" not in response.headers
    assert token_exchanges(wise) == 0
    assert kit.get_session(launched.session_id)["status"] == "launched"


@pytest.mark.parametrize("cookies", [None, {"wise_onboarding": "someone-elses-browser-binding"}])
def test_callback_from_another_browser_is_rejected_and_does_not_burn_the_state(
    kit: KitApi, wise: EmulatorControl, stack: Stack, cookies: dict[str, str] | None
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    rejected = kit.callback(params, cookies)
    assert rejected.status_code == 400
    assert "different browser" in rejected.text
    assert token_exchanges(wise) == 0
    # The launching browser can still finish.
    assert kit.callback(params, launched.cookies).status_code == 303
    assert kit.get_session(launched.session_id)["status"] == "linked"


def test_replayed_callback_is_rejected_and_wise_is_called_once(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    assert kit.callback(params, launched.cookies).status_code == 303
    replay = kit.callback(params, launched.cookies)
    assert replay.status_code == 400
    assert "already been used" in replay.text
    assert token_exchanges(wise) == 1
    assert kit.get_session(launched.session_id)["status"] == "linked"


@ON_BOTH_DATABASES
def test_concurrent_callbacks_with_one_state_exchange_the_code_once(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    barrier = threading.Barrier(20)

    def call(_: int) -> int:
        barrier.wait()
        return kit.callback(params, launched.cookies).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(call, range(20)))
    assert statuses.count(303) == 1
    assert statuses.count(400) == 19
    assert token_exchanges(wise) == 1
    assert kit.get_session(launched.session_id)["status"] == "linked"


@pytest.mark.parametrize("db_url", [POSTGRES], indirect=True)
def test_a_first_link_inserted_meanwhile_by_another_session_is_taken_over_as_a_relink(
    kit: KitApi, wise: EmulatorControl, stack: Stack, db_url: str
) -> None:
    # Two sessions of one customer return at once. PostgreSQL makes the second first-link
    # INSERT wait on the unique customer id, then refuse it; the kit stores it again as a relink.
    first, second = start(kit), start(kit)
    consent(wise, stack, first)
    params = consent(wise, stack, second)
    profile_id = int(params["profileId"])
    runtime = runtime_of(stack.kit_app)
    with runtime.job() as holder:
        # The first session's link, inserted and not yet committed, as if mid-callback.
        links.store_link(
            ctx=holder,
            now=holder.now(),
            customer_external_id="c-123",
            session_id=first.session_id,
            profile_id=profile_id,
            profile_type="personal",
            wise_user_id=None,
            tokens=TokenSet(
                access_token="a" * 32,
                access_token_expires_at=holder.now() + timedelta(hours=12),
                refresh_token=None,
                refresh_token_expires_at=None,
                scope=None,
            ),
        )
        with ThreadPoolExecutor(max_workers=1) as pool:
            returned = pool.submit(kit.callback, params, second.cookies)
            wait_until(lambda: _waiting_on_a_lock(db_url), bool, timeout=15, what="a lock wait")
            holder.db.commit()
            response = returned.result(timeout=15)
    assert response.status_code == 303
    assert outcome(response.headers["Location"])["status"] == "linked"
    link = kit.get_link("c-123")
    assert (link["status"], link["profile_id"]) == ("linked", profile_id)
    events = query(db_url, "SELECT event FROM wise_link_event ORDER BY id")
    assert [e["event"] for e in events] == ["linked", "relinked"]


def _waiting_on_a_lock(database_url: str) -> bool:
    """Whether another connection of this database waits on a row or index lock right now."""
    rows = query(
        database_url,
        "SELECT count(*) AS n FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    return bool(rows[0]["n"])


def test_callback_after_the_state_window_expires_the_session(
    kit: KitApi, wise: EmulatorControl, stack: Stack, clock: FrozenClock
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    clock.advance(3600)
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 303
    assert outcome(response.headers["Location"])["status"] == "expired"
    assert token_exchanges(wise) == 0
    assert kit.get_session(launched.session_id)["status"] == "expired"


# -- outcomes --------------------------------------------------------------------------------


def test_denial_is_declined(kit: KitApi, wise: EmulatorControl, stack: Stack) -> None:
    launched = start(kit)
    params = {"error": "access_denied", "error_description": "denied", "state": launched.state}
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"]) == {
        "session_id": launched.session_id,
        "status": "declined",
    }
    assert kit.get_session(launched.session_id)["status"] == "declined"
    assert token_exchanges(wise) == 0


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        ("server_error", "server_error"),
        ("temporarily_unavailable", "temporarily_unavailable"),
        ("<script>", "unknown"),
    ],
)
def test_other_wise_errors_fail_with_the_error_recorded(
    kit: KitApi, wise: EmulatorControl, stack: Stack, error: str, recorded: str
) -> None:
    launched = start(kit)
    response = kit.callback({"error": error, "state": launched.state}, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "wise_error"
    session = kit.get_session(launched.session_id)
    assert (session["status"], session["failure_reason"], session["wise_error"]) == (
        "failed",
        "wise_error",
        recorded,
    )


def test_date_of_birth_mismatch_fails_and_discards_tokens(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit, customer__date_of_birth="1990-04-02")
    response = kit.callback(consent(wise, stack, launched), launched.cookies)
    assert outcome(response.headers["Location"]) == {
        "session_id": launched.session_id,
        "status": "failed",
        "reason": "identity_mismatch",
    }
    assert kit.get_session(launched.session_id)["failure_reason"] == "identity_mismatch"
    assert kit.get_link("c-123")["status"] == "not_linked"


def test_business_profile_for_a_personal_customer_is_rejected(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    alan = wise.get_user("alan@example.com")
    assert alan is not None
    business = next(p for p in alan["profiles"] if p["type"] == "BUSINESS")
    launched = start(kit, customer__date_of_birth="1982-06-23")
    params = consent(wise, stack, launched, "alan@example.com", profile_id=business["id"])
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "profile_type_mismatch"
    assert kit.get_link("c-123")["status"] == "not_linked"


def test_account_without_a_profile_is_rejected_without_exchanging_the_code(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched, "nobody@example.com")
    assert "profileId" not in params
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "no_profile"
    assert token_exchanges(wise) == 0


def test_profile_id_is_read_from_wise_not_trusted_from_the_query(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    # Grace's birth date would match, but the token was granted for Ada's profile only.
    grace = wise.get_user("grace@example.com")
    assert grace is not None
    launched = start(kit, customer__date_of_birth="1985-12-09")
    params = consent(wise, stack, launched)
    params["profileId"] = str(grace["profiles"][0]["id"])
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "no_profile"
    assert kit.get_link("c-123")["status"] == "not_linked"


def test_invalid_code_fails_the_session(kit: KitApi, wise: EmulatorControl, stack: Stack) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    params["code"] = "not-a-code-wise-issued"
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "token_exchange_failed"
    assert kit.get_session(launched.session_id)["wise_error"] == "invalid_grant"


def test_callback_without_code_or_error_fails(kit: KitApi, stack: Stack) -> None:
    launched = start(kit)
    response = kit.callback({"state": launched.state, "profileId": "1"}, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "invalid_callback"


# -- Wise unavailable ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/oauth/token", 503),
        ("POST", "/oauth/token", 500),
        ("POST", "/oauth/token", 429),
        ("GET", "/v2/profiles/*", 502),
    ],
)
def test_wise_errors_during_the_exchange_fail_as_unavailable(
    kit: KitApi, wise: EmulatorControl, stack: Stack, method: str, path: str, status: int
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    wise.add_fault(method, path, status=status)
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 303
    assert outcome(response.headers["Location"])["reason"] == "wise_unavailable"
    assert kit.get_session(launched.session_id)["failure_reason"] == "wise_unavailable"
    assert kit.get_link("c-123")["status"] == "not_linked"


def test_unreachable_wise_fails_as_unavailable(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    stack.emulator.stop()
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "wise_unavailable"
    assert kit.get_link("c-123")["status"] == "not_linked"


@pytest.fixture
def slow_wise_kit(stack: Stack, config: dict[str, Any]) -> Iterator[KitApi]:
    """A second kit on the same database and emulator, with a short read timeout."""
    from backend import create_app
    from sample_app.serving import ServerThread

    settings = runtime_of(stack.kit_app).settings
    server = ServerThread(port=0)
    kit_url = server.url("localhost")
    server.app = create_app(
        {
            **config,
            "ONBOARDING_PUBLIC_BASE_URL": kit_url,
            "ONBOARDING_WISE_REDIRECT_URI": settings.wise_redirect_uri,
            "ONBOARDING_WISE_API_URL": stack.emulator_url,
            "ONBOARDING_WISE_AUTHORIZE_URL": f"{stack.emulator_url}/oauth/authorize/",
            "ONBOARDING_WISE_CLIENT_SECRET": settings.wise_client_secret,
            "ONBOARDING_WISE_READ_TIMEOUT": "0.3",
        }
    )
    server.start()
    yield KitApi(kit_url)
    server.stop()


def test_wise_timeout_during_the_exchange_fails_as_unavailable(
    slow_wise_kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(slow_wise_kit)
    params = consent(wise, stack, launched)
    fault = wise.add_fault("POST", "/oauth/token", status=None, hold=True)
    try:
        response = slow_wise_kit.callback(params, launched.cookies)  # ends at the read timeout
    finally:
        wise.release_fault(fault["id"])
    assert outcome(response.headers["Location"])["reason"] == "wise_unavailable"
    assert slow_wise_kit.get_link("c-123")["status"] == "not_linked"


def test_replay_without_the_spent_cookie_says_already_used(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    assert kit.callback(params, launched.cookies).status_code == 303
    replay = kit.callback(params, None)
    assert replay.status_code == 400
    assert "already been used" in replay.text


def test_token_endpoint_redirect_is_not_followed(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    # A redirect from the token endpoint would carry the code and client credentials elsewhere.
    wise.add_fault("POST", "/oauth/token", status=307)
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "wise_unavailable"
    assert token_exchanges(wise) == 1


def test_unreadable_token_answer_fails_as_unavailable_not_500(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    # A 200 whose expires_at Authlib cannot read (older Authlib releases crashed on Wise's own
    # ISO expires_at the same way).
    body = {
        "access_token": "a" * 36,
        "token_type": "bearer",
        "expires_in": 43199,
        "expires_at": [1],
    }
    wise.add_fault("POST", "/oauth/token", status=200, body=body)
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 303
    assert outcome(response.headers["Location"])["reason"] == "wise_unavailable"


def test_408_from_wise_is_transient(kit: KitApi, wise: EmulatorControl, stack: Stack) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    wise.add_fault("POST", "/oauth/token", status=408)
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "wise_unavailable"


@pytest.mark.parametrize("profile_id", ["\u00b2", "\uff13", "1\u00b2", "-1", " 1", "1\n"])
def test_non_ascii_digit_profile_id_is_refused_before_the_exchange(
    kit: KitApi, wise: EmulatorControl, stack: Stack, profile_id: str
) -> None:
    launched = start(kit)
    params = consent(wise, stack, launched)
    params["profileId"] = profile_id
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 303
    assert outcome(response.headers["Location"])["reason"] == "no_profile"
    assert token_exchanges(wise) == 0


# -- a replay of a finished link ---------------------------------------------------------------

RECEIPT = "wise_onboarding_linked"


def link(kit: KitApi, wise: EmulatorControl, stack: Stack) -> tuple[Launched, dict[str, str], str]:
    """Link an account; return the launch, the callback query and the receipt the browser got."""
    launched = start(kit)
    params = consent(wise, stack, launched)
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["status"] == "linked"
    return launched, params, response.cookies[RECEIPT]


def receipt_for(stack: Stack, session_id: str) -> str:
    """A receipt the kit itself would sign for this session, whatever its outcome."""
    with runtime_of(stack.kit_app).job() as ctx:
        row = ctx.db.get(OnboardingSession, session_id)
        assert row is not None
        return callback_replay.issue_receipt(ctx=ctx, session=row)


def refused_as_used(response: requests.Response) -> bool:
    return response.status_code == 400 and "already been used" in response.text


def test_the_receipt_cookie_is_short_lived_http_only_lax_and_scoped_to_the_return(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit)
    response = kit.callback(consent(wise, stack, launched), launched.cookies)
    (receipt,) = [c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith(RECEIPT)]
    attributes = {part.strip().split("=")[0].lower() for part in receipt.split(";")[1:]}
    assert attributes == {"expires", "max-age", "httponly", "path", "samesite"}
    assert "Max-Age=600" in receipt
    assert "Path=/oauth/wise/callback" in receipt
    assert "SameSite=Lax" in receipt
    # It proves the link, it does not carry it: no session id, state or code in it.
    value = response.cookies[RECEIPT]
    assert launched.session_id not in value
    assert launched.state not in value


def test_a_replay_with_the_receipt_shows_the_link_and_the_way_back(
    kit: KitApi, wise: EmulatorControl, stack: Stack, clock: FrozenClock
) -> None:
    launched, params, receipt = link(kit, wise, stack)
    clock.advance(599)
    replay = kit.callback(params, {RECEIPT: receipt})
    assert replay.status_code == 200
    assert "Your Wise account is connected" in replay.text
    back = f"{RETURN_URL}?session_id={launched.session_id}&amp;status=linked"
    assert f'href="{back}"' in replay.text
    assert "Back to the app" in replay.text
    assert replay.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in replay.headers
    assert token_exchanges(wise) == 1  # nothing was exchanged again
    assert kit.get_session(launched.session_id)["status"] == "linked"


def test_a_replay_whose_return_url_left_the_allowlist_has_no_way_back(
    kit: KitApi, wise: EmulatorControl, stack: Stack, config: dict[str, Any]
) -> None:
    _, params, receipt = link(kit, wise, stack)
    secret_key = runtime_of(stack.kit_app).settings.secret_key
    narrower = create_app(
        {**config, "ONBOARDING_SECRET_KEY": secret_key, "ONBOARDING_RETURN_URLS": APP_RETURN_URL}
    )
    browser = narrower.test_client()
    browser.set_cookie(RECEIPT, receipt, path="/oauth/wise/callback")
    replay = browser.get("/oauth/wise/callback", query_string=params)
    assert replay.status_code == 200
    html = replay.get_data(as_text=True)
    assert "Your Wise account is connected" in html
    assert "href" not in html.split("<main", 1)[1]


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda value: None, id="no cookie"),
        pytest.param(lambda value: "", id="empty"),
        pytest.param(lambda value: value[:-1] + ("0" if value[-1] != "0" else "1"), id="mac"),
        pytest.param(lambda value: str(int(value.split(".")[0]) + 1) + value[-65:], id="time"),
        pytest.param(lambda value: value.split(".")[1], id="no time"),
        pytest.param(lambda value: value.upper(), id="case"),
        pytest.param(lambda value: value + "0", id="longer"),
    ],
)
def test_a_replay_without_a_genuine_receipt_is_refused_as_before(
    kit: KitApi, wise: EmulatorControl, stack: Stack, alter: Any
) -> None:
    _, params, receipt = link(kit, wise, stack)
    forged = alter(receipt)
    replay = kit.callback(params, None if forged is None else {RECEIPT: forged})
    assert refused_as_used(replay)
    assert token_exchanges(wise) == 1


def test_an_old_receipt_is_refused(
    kit: KitApi, wise: EmulatorControl, stack: Stack, clock: FrozenClock
) -> None:
    _, params, receipt = link(kit, wise, stack)
    clock.advance(601)
    assert refused_as_used(kit.callback(params, {RECEIPT: receipt}))


def test_the_receipt_of_another_session_is_refused(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    _, first_params, _ = link(kit, wise, stack)
    _, _, second_receipt = link(kit, wise, stack)
    assert refused_as_used(kit.callback(first_params, {RECEIPT: second_receipt}))
    assert token_exchanges(wise) == 2


def test_a_session_that_did_not_link_gets_no_receipt_and_no_connected_page(
    kit: KitApi, wise: EmulatorControl, stack: Stack
) -> None:
    launched = start(kit, customer__date_of_birth="1990-04-02")
    params = consent(wise, stack, launched)
    response = kit.callback(params, launched.cookies)
    assert outcome(response.headers["Location"])["reason"] == "identity_mismatch"
    assert RECEIPT not in response.cookies
    # Even a receipt the kit signed for it shows no link that does not exist.
    replay = kit.callback(params, {RECEIPT: receipt_for(stack, launched.session_id)})
    assert refused_as_used(replay)
