"""Sign-up on the authorize page through Flask's test client, including the ID photo step."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from .conftest import CLIENT_ID, REDIRECT_URI, query_of

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
NEW_USER = {
    "email": "hedy@example.com",
    "password": "frequency-hopping",
    "first_name": "Hedy",
    "last_name": "Lamarr",
    "date_of_birth": "1994-11-09",
}


def start_signup(client: FlaskClient) -> None:
    """Open the authorize page and submit the sign-up form."""
    client.get(
        "/oauth/authorize/?" + urlencode({"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI})
    )
    page = client.get("/oauth/authorize/signup").get_data(as_text=True)
    for label in ("Email", "Password", "First name", "Last name", "Date of birth"):
        assert f">{label}</label>" in page
    response = client.post("/oauth/authorize/signup", data=NEW_USER)
    assert response.headers["Location"].endswith("/oauth/authorize/id-document")


def test_signup_with_a_captured_photo_creates_user_and_personal_profile(
    client: FlaskClient,
) -> None:
    start_signup(client)
    page = client.get("/oauth/authorize/id-document").get_data(as_text=True)
    assert ">Take photo</button>" in page
    assert 'capture="environment"' in page
    assert "id_document.js" in page
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    done = client.post("/oauth/authorize/id-document", data={"photo_data": data_url})
    assert done.headers["Location"].endswith("/oauth/authorize/2fa")
    client.post("/oauth/authorize/2fa", data={"code": "111111"})
    allowed = client.post("/oauth/authorize/consent", data={"decision": "allow"})
    assert "profileId" in query_of(allowed.headers["Location"])
    user = client.get("/__emulator/users/hedy@example.com").json
    assert user["id_document_bytes"] == len(PNG)  # type: ignore[index]
    [profile] = user["profiles"]  # type: ignore[index]
    assert (profile["type"], profile["dateOfBirth"], profile["fullName"]) == (
        "PERSONAL",
        "1994-11-09",
        "Hedy Lamarr",
    )


def test_signup_with_an_uploaded_file(client: FlaskClient) -> None:
    start_signup(client)
    done = client.post(
        "/oauth/authorize/id-document",
        data={"photo_file": (io.BytesIO(PNG), "id.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert done.headers["Location"].endswith("/oauth/authorize/2fa")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"photo_data": "data:image/png;base64,"},
        {"photo_data": "data:image/png;base64," + base64.b64encode(b"not an image").decode()},
        {"photo_data": "data:text/plain;base64,aGVsbG8="},
    ],
)
def test_photo_step_refuses_missing_or_non_image(client: FlaskClient, data: dict[str, str]) -> None:
    start_signup(client)
    response = client.post("/oauth/authorize/id-document", data=data)
    assert response.status_code == 400
    assert "photo of your ID document" in response.get_data(as_text=True)
    assert client.get("/__emulator/users/hedy@example.com").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ada@example.com", "already a member"),
        ("email", "nope", "valid email"),
        ("password", "short", "at least 8"),
        ("date_of_birth", "2999-01-01", "date of birth"),
        ("first_name", "", "first and last name"),
    ],
)
def test_signup_form_errors(client: FlaskClient, field: str, value: str, message: str) -> None:
    client.get(
        "/oauth/authorize/?" + urlencode({"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI})
    )
    response = client.post("/oauth/authorize/signup", data={**NEW_USER, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
