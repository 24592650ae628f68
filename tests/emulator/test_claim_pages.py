"""Claiming a partner-created account through the authorize pages, and claim-code expiry."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient

from .conftest import (
    BUSINESS_BODY,
    CLIENT_ID,
    PERSONAL_BODY,
    REDIRECT_URI,
    REGISTRATION_CODE,
    bearer,
    post_token,
    query_of,
    register_user,
)


def claim_code(client: FlaskClient, access_token: str) -> str:
    """Ask for a claim_account_code."""
    response = client.post(
        "/v1/user/claim-account",
        json={"registrationCode": REGISTRATION_CODE},
        headers=bearer(access_token),
    )
    assert response.status_code == 200
    return str(response.json["claimAccountCode"])  # type: ignore[index]


def start_claim(client: FlaskClient, code: str, state: str = "claim-state") -> object:
    """Open the authorize page with a claim code."""
    query = urlencode(
        {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "state": state,
            "claim_account_code": code,
        }
    )
    return client.get(f"/oauth/authorize/?{query}")


class ReviewForm(HTMLParser):
    """Reads the review form: per fieldset legend, each label's input name and value."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: dict[str, dict[str, str]] = {}  # legend -> label text -> input id
        self.inputs: dict[str, tuple[str, str]] = {}  # input id -> (name, value)
        self._open: tuple[str, str] | None = None  # ("legend", "") or ("label", input id)
        self._legend = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note an opening legend or label, and each input's name and value."""
        found = {key: value or "" for key, value in attrs}
        if tag == "legend":
            self._open = ("legend", "")
        elif tag == "label":
            self._open = ("label", found["for"])
        elif tag == "input" and "id" in found:
            self.inputs[found["id"]] = (found["name"], found.get("value", ""))

    def handle_data(self, data: str) -> None:
        """Record the text of the open legend or label."""
        text = data.strip()
        if self._open is None or not text:
            return
        kind, input_id = self._open
        self._open = None
        if kind == "legend":
            self._legend = text
            self.labels[text] = {}
            return
        group = self.labels[self._legend]
        assert text not in group, f"label {text!r} twice in {self._legend!r}"
        group[text] = input_id


def review_form(html: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Return ``{legend: {label: (input name, value)}}`` for a review page."""
    parser = ReviewForm()
    parser.feed(html)
    return {
        legend: {label: parser.inputs[input_id] for label, input_id in labels.items()}
        for legend, labels in parser.labels.items()
    }


def personal_inputs(html: str) -> dict[str, tuple[str, str]]:
    """Return the labelled inputs of the "Personal details" group."""
    return review_form(html)["Personal details"]


def reach_review(client: FlaskClient, access_token: str) -> str:
    """Claim the account, set its password, pass 2FA and return the review page."""
    start_claim(client, claim_code(client, access_token))
    client.post(
        "/oauth/authorize/claim/password",
        data={"password": "longenough1", "confirm": "longenough1"},
    )
    client.post("/oauth/authorize/2fa", data={"code": "111111"})
    return client.get("/oauth/authorize/claim/review").get_data(as_text=True)


def test_claim_sets_password_reviews_edits_and_links(client: FlaskClient) -> None:
    tokens = register_user(client, "mary@example.com")
    client.post(
        "/v2/profiles/personal-profile", json=PERSONAL_BODY, headers=bearer(tokens["access_token"])
    )
    code = claim_code(client, tokens["access_token"])
    started = start_claim(client, code)
    assert started.headers["Location"].endswith("/oauth/authorize/claim/password")  # type: ignore[attr-defined]
    page = client.get("/oauth/authorize/claim/password").get_data(as_text=True)
    assert "mary@example.com" in page
    assert '<label for="password">Create password</label>' in page
    mismatch = client.post(
        "/oauth/authorize/claim/password", data={"password": "longenough1", "confirm": "other"}
    )
    assert mismatch.status_code == 400
    set_password = client.post(
        "/oauth/authorize/claim/password",
        data={"password": "longenough1", "confirm": "longenough1"},
    )
    assert set_password.headers["Location"].endswith("/oauth/authorize/2fa")
    # Once the customer holds a password, the registration code no longer gives tokens.
    reclaimed = post_token(
        client,
        grant_type="registration_code",
        email="mary@example.com",
        registration_code=REGISTRATION_CODE,
        client_id=CLIENT_ID,
    )
    assert reclaimed.status_code == 401
    assert reclaimed.json == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials.",
    }
    after_code = client.post("/oauth/authorize/2fa", data={"code": "111111"})
    assert after_code.headers["Location"].endswith("/oauth/authorize/claim/review")
    review = client.get("/oauth/authorize/claim/review").get_data(as_text=True)
    for shown in ("Mary", "Somerville", "1980-12-26", "1 Burntisland Road", "EH1 1AA"):
        assert f'value="{shown}"' in review
    assert "<legend>Personal details</legend>" in review
    profile_id = client.get("/__emulator/users/mary@example.com").json["profiles"][0]["id"]  # type: ignore[index]
    form = {
        f"p{profile_id}-first_name": "Mary",
        f"p{profile_id}-last_name": "Somerville",
        f"p{profile_id}-date_of_birth": "1980-12-27",
        f"p{profile_id}-phone_number": "+447700900123",
        f"p{profile_id}-address_first_line": "2 Burntisland Road",
        f"p{profile_id}-city": "Edinburgh",
        f"p{profile_id}-post_code": "EH1 1AA",
        f"p{profile_id}-country": "GBR",
    }
    bad = client.post(
        "/oauth/authorize/claim/review", data={**form, f"p{profile_id}-date_of_birth": "2999-01-01"}
    )
    assert bad.status_code == 400
    reviewed = client.post("/oauth/authorize/claim/review", data=form)
    assert reviewed.headers["Location"].endswith("/oauth/authorize/consent")
    allowed = client.post("/oauth/authorize/consent", data={"decision": "allow"})
    query = query_of(allowed.headers["Location"])
    assert query["state"] == ["claim-state"]
    assert query["profileId"] == [str(profile_id)]
    linked = post_token(
        client,
        grant_type="authorization_code",
        code=query["code"][0],
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
    ).json
    profile = client.get(f"/v2/profiles/{profile_id}", headers=bearer(linked["access_token"])).json  # type: ignore[index]
    assert profile["dateOfBirth"] == "1980-12-27"  # type: ignore[index]
    assert profile["address"]["addressFirstLine"] == "2 Burntisland Road"  # type: ignore[index]
    user = client.get("/__emulator/users/mary@example.com").json
    assert user["claimed"] is True  # type: ignore[index]
    assert len(user["profiles"]) == 1  # type: ignore[index]


FULL_PERSONAL_BODY: dict[str, Any] = {
    **PERSONAL_BODY,
    "preferredName": 'Molly "<b>" & co',
    "occupations": [{"code": "Mathematician", "format": "FREE_FORM"}],
    "address": {**PERSONAL_BODY["address"], "stateCode": "SCT"},
}


def test_claim_review_shows_every_prefilled_personal_detail_escaped(client: FlaskClient) -> None:
    tokens = register_user(client, "mary@example.com")
    created = client.post(
        "/v2/profiles/personal-profile",
        json=FULL_PERSONAL_BODY,
        headers=bearer(tokens["access_token"]),
    )
    assert created.status_code == 200
    review = reach_review(client, tokens["access_token"])
    shown = {label: value for label, (_, value) in personal_inputs(review).items()}
    assert shown == {
        "First name": "Mary",
        "Last name": "Somerville",
        "Preferred name": 'Molly "<b>" & co',
        "Date of birth": "1980-12-26",
        "Phone number": "+447700900123",
        "Nationality": "gbr",
        "Occupation": "Mathematician",
        "Address": "1 Burntisland Road",
        "City": "Edinburgh",
        "Postcode": "EH1 1AA",
        "Country code": "gbr",
        "State code": "SCT",
    }
    assert "<b>" not in review
    assert 'value="Molly &#34;&lt;b&gt;&#34; &amp; co"' in review
    assert 'type="tel"' in review


def test_claim_review_saves_edits_to_every_personal_detail(client: FlaskClient) -> None:
    tokens = register_user(client, "mary@example.com")
    client.post(
        "/v2/profiles/personal-profile",
        json=FULL_PERSONAL_BODY,
        headers=bearer(tokens["access_token"]),
    )
    fields = personal_inputs(reach_review(client, tokens["access_token"]))
    form = {name: value for name, value in fields.values()}
    edits = {
        "Preferred name": "Polly",
        "Phone number": "+447700900999",
        "Nationality": "irl",
        "Occupation": "Astronomer",
        "State code": "",
    }
    for label, value in edits.items():
        form[fields[label][0]] = value
    blank_phone = client.post(
        "/oauth/authorize/claim/review", data={**form, fields["Phone number"][0]: " "}
    )
    assert blank_phone.status_code == 400
    assert "Personal details: enter the phone number." in blank_phone.get_data(as_text=True)
    reviewed = client.post("/oauth/authorize/claim/review", data=form)
    assert reviewed.headers["Location"].endswith("/oauth/authorize/consent")
    [profile] = client.get("/__emulator/users/mary@example.com").json["profiles"]  # type: ignore[index]
    assert profile["preferredName"] == "Polly"
    assert profile["phoneNumber"] == "+447700900999"
    assert profile["contactDetails"]["phoneNumber"] == "+447700900999"
    assert profile["nationality"] == "irl"
    assert profile["occupations"] == [{"code": "Astronomer", "format": "FREE_FORM"}]
    assert profile["firstName"] == "Mary"
    # An optional detail left empty is cleared, not kept.
    assert profile["address"]["stateCode"] is None


def test_claim_review_without_occupations_offers_one_to_fill_in(client: FlaskClient) -> None:
    tokens = register_user(client, "mary@example.com")
    client.post(
        "/v2/profiles/personal-profile", json=PERSONAL_BODY, headers=bearer(tokens["access_token"])
    )
    fields = personal_inputs(reach_review(client, tokens["access_token"]))
    assert (fields["Occupation"][1], fields["Preferred name"][1]) == ("", "")
    form = {name: value for name, value in fields.values()}
    form[fields["Occupation"][0]] = "Engineer"
    reviewed = client.post("/oauth/authorize/claim/review", data=form)
    assert reviewed.status_code == 302
    [profile] = client.get("/__emulator/users/mary@example.com").json["profiles"]  # type: ignore[index]
    assert profile["occupations"] == [{"code": "Engineer", "format": "FREE_FORM"}]
    assert profile["preferredName"] is None


def test_claim_review_shows_business_directors_and_owners(client: FlaskClient) -> None:
    tokens = register_user(client, "biz@example.com")
    headers = bearer(tokens["access_token"])
    business = client.post(
        "/v3/profiles/business-profile",
        json={
            **BUSINESS_BODY,
            "businessName": "Difference Engines Ltd",
            "registrationNumber": "SC123456",
        },
        headers=headers,
    ).json
    client.post(
        f"/v1/profiles/{business['id']}/directors",  # type: ignore[index]
        json=[{"firstName": "Charles", "lastName": "Babbage", "dateOfBirth": "1971-12-26"}],
        headers=headers,
    )
    client.post(
        f"/v1/profiles/{business['id']}/ubos",  # type: ignore[index]
        json=[{"name": "Georgiana Whitmore", "ownershipPercentage": 60}],
        headers=headers,
    )
    start_claim(client, claim_code(client, tokens["access_token"]))
    client.post(
        "/oauth/authorize/claim/password",
        data={"password": "longenough1", "confirm": "longenough1"},
    )
    client.post("/oauth/authorize/2fa", data={"code": "111111"})
    review = client.get("/oauth/authorize/claim/review").get_data(as_text=True)
    for shown in (
        "Difference Engines Ltd",
        "SC123456",
        "Charles",
        "Babbage",
        "Georgiana Whitmore",
        "60",
    ):
        assert f'value="{shown}"' in review
    for legend in ("Business details", "Director 1", "Owner 1"):
        assert f"<legend>{legend}</legend>" in review


def test_claim_review_shows_and_saves_every_director_and_owner_detail(
    client: FlaskClient,
) -> None:
    tokens = register_user(client, "people@example.com")
    headers = bearer(tokens["access_token"])
    business = client.post(
        "/v3/profiles/business-profile",
        json={
            **BUSINESS_BODY,
            "businessName": "Difference Engines Ltd",
            "registrationNumber": "SC123456",
            "address": {
                "addressFirstLine": "1 Dorset St",
                "city": "London",
                "countryIso3Code": "gbr",
                "postCode": "W1U 4EG",
            },
        },
        headers=headers,
    ).json
    director = {
        "firstName": "Charles",
        "lastName": "Babbage",
        "dateOfBirth": "1971-12-26",
        "countryOfResidenceIso3Code": "gbr",
    }
    owner = {
        "name": "Georgiana Whitmore",
        "dateOfBirth": "1980-01-02",
        "countryOfResidenceIso3Code": "fra",
        "addressFirstLine": "3 Rue de Rivoli",
        "postCode": "75001",
        "ownershipPercentage": 60,
    }
    for kind, person in (("directors", director), ("ubos", owner)):
        path = f"/v1/profiles/{business['id']}/{kind}"  # type: ignore[index]
        assert client.post(path, json=[person], headers=headers).status_code == 200
    groups = review_form(reach_review(client, tokens["access_token"]))
    shown = {legend: {k: v for k, (_, v) in fields.items()} for legend, fields in groups.items()}
    assert shown["Director 1"] == {
        "First name": "Charles",
        "Last name": "Babbage",
        "Date of birth": "1971-12-26",
        "Country of residence": "gbr",
    }
    assert shown["Owner 1"] == {
        "Full name": "Georgiana Whitmore",
        "Date of birth": "1980-01-02",
        "Country of residence": "fra",
        "Address": "3 Rue de Rivoli",
        "Postcode": "75001",
        "Ownership (%)": "60",
    }
    form = {name: value for fields in groups.values() for name, value in fields.values()}
    form[groups["Director 1"]["Country of residence"][0]] = "IRL"
    form[groups["Owner 1"]["Country of residence"][0]] = ""
    form[groups["Owner 1"]["Address"][0]] = "4 Rue de Rivoli"
    reviewed = client.post("/oauth/authorize/claim/review", data=form)
    assert reviewed.headers["Location"].endswith("/oauth/authorize/consent")
    [profile] = client.get("/__emulator/users/people@example.com").json["profiles"]  # type: ignore[index]
    assert profile["directors"][0]["countryOfResidenceIso3Code"] == "irl"
    assert profile["ubos"][0]["countryOfResidenceIso3Code"] is None
    assert profile["ubos"][0]["addressFirstLine"] == "4 Rue de Rivoli"
    assert profile["ubos"][0]["postCode"] == "75001"


def test_claim_without_profiles_asks_for_personal_details(client: FlaskClient) -> None:
    tokens = register_user(client, "bare@example.com")
    start_claim(client, claim_code(client, tokens["access_token"]))
    client.post(
        "/oauth/authorize/claim/password",
        data={"password": "longenough1", "confirm": "longenough1"},
    )
    client.post("/oauth/authorize/2fa", data={"code": "111111"})
    reviewed = client.post(
        "/oauth/authorize/claim/review",
        data={"new-first_name": "Bea", "new-last_name": "Re", "new-date_of_birth": "1999-09-09"},
    )
    assert reviewed.headers["Location"].endswith("/consent")
    profiles = client.get("/__emulator/users/bare@example.com").json["profiles"]  # type: ignore[index]
    assert [(p["type"], p["dateOfBirth"]) for p in profiles] == [("PERSONAL", "1999-09-09")]


def test_claim_code_expires_after_five_minutes(client: FlaskClient) -> None:
    tokens = register_user(client, "late@example.com")
    code = claim_code(client, tokens["access_token"])
    client.post("/__emulator/clock/advance", json={"seconds": 5 * 60 + 1})
    expired = start_claim(client, code)
    assert expired.status_code == 400  # type: ignore[attr-defined]
    assert "Location" not in expired.headers  # type: ignore[attr-defined]
    assert "This link has expired" in expired.get_data(as_text=True)  # type: ignore[attr-defined]


def test_claim_code_expiry_through_the_control_api_and_single_use(client: FlaskClient) -> None:
    tokens = register_user(client, "used@example.com")
    first = claim_code(client, tokens["access_token"])
    assert start_claim(client, first).status_code == 302  # type: ignore[attr-defined]
    assert start_claim(client, first).status_code == 400  # type: ignore[attr-defined]
    second = claim_code(client, tokens["access_token"])
    assert client.post("/__emulator/claim-codes/expire").json == {"expired": 1}
    assert start_claim(client, second).status_code == 400  # type: ignore[attr-defined]
