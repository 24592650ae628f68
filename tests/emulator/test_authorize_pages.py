"""The authorize pages through Flask's test client: log in, 2FA, consent, deny, show code."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from .conftest import (
    CLIENT_ID,
    REDIRECT_URI,
    REDIRECT_WITH_QUERY,
    post_token,
    query_of,
)


def authorize_url(**params: str) -> str:
    """Return the authorize URL for the test client with extra parameters."""
    base = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI}
    base.update(params)
    return "/oauth/authorize/?" + urlencode(base)


def log_in(client: FlaskClient, email: str = "ada@example.com", **params: str) -> None:
    """Start a flow and get through log in and two-factor."""
    start = client.get(authorize_url(**params))
    assert start.status_code == 302
    assert start.headers["Location"].endswith("/oauth/authorize/login")
    login = client.post("/oauth/authorize/login", data={"email": email, "password": "wise-demo"})
    assert login.headers["Location"].endswith("/oauth/authorize/2fa")
    code = client.post("/oauth/authorize/2fa", data={"code": "111111"})
    assert code.headers["Location"].endswith("/oauth/authorize/consent")


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"client_id": "nope"}, 400, "Unknown application"),
        ({"redirect_uri": "http://127.0.0.1:9999/wise/callback/"}, 400, "Redirect URI not allowed"),
        ({"redirect_uri": "http://127.0.0.1:9999/wise/callback?tenant=other"}, 400, "not allowed"),
        ({"redirect_uri": "http://evil.example/cb"}, 400, "Redirect URI not allowed"),
        ({"redirect_uri": ""}, 400, "Redirect URI not allowed"),
    ],
)
def test_bad_client_or_redirect_shows_an_error_page_without_redirecting(
    client: FlaskClient, params: dict[str, str], status: int, text: str
) -> None:
    response = client.get(authorize_url(**params))
    assert response.status_code == status
    assert "Location" not in response.headers
    assert text in response.get_data(as_text=True)


def test_both_spellings_of_the_authorize_path_work(client: FlaskClient) -> None:
    query = urlencode({"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI})
    for path in ("/oauth/authorize?", "/oauth/authorize/?"):
        response = client.get(path + query + "&response_type=code")
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/oauth/authorize/login")


def test_login_page_has_labelled_fields_and_strict_csp(client: FlaskClient) -> None:
    client.get(authorize_url())
    page = client.get("/oauth/authorize/login")
    html = page.get_data(as_text=True)
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html
    assert ">Log in</button>" in html
    assert ">Create a Wise account</a>" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in html
    assert "Test Bank" in html


def test_wrong_password_and_wrong_code_show_errors(client: FlaskClient) -> None:
    client.get(authorize_url())
    wrong = client.post(
        "/oauth/authorize/login", data={"email": "ada@example.com", "password": "nope"}
    )
    assert wrong.status_code == 400
    assert "not right" in wrong.get_data(as_text=True)
    client.post(
        "/oauth/authorize/login", data={"email": "ada@example.com", "password": "wise-demo"}
    )
    bad_code = client.post("/oauth/authorize/2fa", data={"code": "123456"})
    assert bad_code.status_code == 400
    assert "That code is not right" in bad_code.get_data(as_text=True)
    # Consent is not reachable before the code is right.
    assert client.get("/oauth/authorize/consent").headers["Location"].endswith("/login")


def test_allow_redirects_with_code_state_and_profile_then_the_code_works(
    client: FlaskClient,
) -> None:
    log_in(client, state="st-123")
    consent = client.get("/oauth/authorize/consent").get_data(as_text=True)
    assert "Test Bank" in consent
    assert ">Allow</button>" in consent
    assert ">Deny</button>" in consent
    allowed = client.post("/oauth/authorize/consent", data={"decision": "allow"})
    assert allowed.status_code == 302
    location = allowed.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = query_of(location)
    ada = client.get("/__emulator/users/ada@example.com").json
    assert query["state"] == ["st-123"]
    assert query["profileId"] == [str(ada["profiles"][0]["id"])]  # type: ignore[index]
    token = post_token(
        client,
        grant_type="authorization_code",
        code=query["code"][0],
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
    )
    assert token.status_code == 200
    # The flow is over: the consent page cannot be replayed for a second code.
    again = client.post("/oauth/authorize/consent", data={"decision": "allow"})
    assert again.status_code == 400


def test_redirect_uri_with_query_keeps_its_query(client: FlaskClient) -> None:
    log_in(client, redirect_uri=REDIRECT_WITH_QUERY)
    location = client.post("/oauth/authorize/consent", data={"decision": "allow"}).headers[
        "Location"
    ]
    query = query_of(location)
    assert query["tenant"] == ["acme"]
    assert "code" in query
    assert "state" not in query  # no state was sent, none comes back


def test_deny_redirects_with_error_and_state(client: FlaskClient) -> None:
    log_in(client, state="s1")
    denied = client.post("/oauth/authorize/consent", data={"decision": "deny"})
    query = query_of(denied.headers["Location"])
    assert query["error"] == ["access_denied"]
    assert query["error_description"]
    assert query["state"] == ["s1"]
    assert "code" not in query


def test_deny_error_value_is_a_switch(client: FlaskClient) -> None:
    client.patch("/__emulator/settings", json={"deny_error": "user_denied"})
    log_in(client)
    denied = client.post("/oauth/authorize/consent", data={"decision": "deny"})
    assert query_of(denied.headers["Location"])["error"] == ["user_denied"]


def test_profile_chooser_grants_the_chosen_profile(client: FlaskClient) -> None:
    alan = client.get("/__emulator/users/alan@example.com").json
    business = next(p for p in alan["profiles"] if p["type"] == "BUSINESS")  # type: ignore[index]
    log_in(client, email="alan@example.com")
    html = client.get("/oauth/authorize/consent").get_data(as_text=True)
    assert "<legend>Choose a profile</legend>" in html
    assert "Turing Machines Ltd (Business)" in html
    assert "Alan Turing (Personal)" in html
    allowed = client.post(
        "/oauth/authorize/consent", data={"decision": "allow", "profile_id": str(business["id"])}
    )
    assert query_of(allowed.headers["Location"])["profileId"] == [str(business["id"])]


def test_user_without_profile_gets_a_code_but_no_profile_id(client: FlaskClient) -> None:
    log_in(client, email="nobody@example.com")
    html = client.get("/oauth/authorize/consent").get_data(as_text=True)
    assert "no profile" in html
    query = query_of(
        client.post("/oauth/authorize/consent", data={"decision": "allow"}).headers["Location"]
    )
    assert "code" in query
    assert "profileId" not in query


def test_show_code_mode_renders_the_code_instead_of_redirecting(client: FlaskClient) -> None:
    log_in(client, forwardingMode="showCode")
    shown = client.post("/oauth/authorize/consent", data={"decision": "allow"})
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert 'data-testid="authorization-code"' in html
    code = html.split('aria-label="Authorization code">', 1)[1].split("<", 1)[0]
    token = post_token(
        client,
        grant_type="authorization_code",
        code=code,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
    )
    assert token.status_code == 200


def test_pages_without_a_flow_show_the_session_error(client: FlaskClient) -> None:
    response = client.get("/oauth/authorize/consent")
    assert response.status_code == 400
    assert "Session ended" in response.get_data(as_text=True)
