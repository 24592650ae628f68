"""Fixtures and helpers for the emulator's own tests: each test builds its own emulator app."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request

from sample_app.serving import ServerThread
from sample_app.wise_emulator import (
    EmulatorConfig,
    EmulatorControl,
    RegisteredClient,
    create_emulator_app,
)

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
CLIENT_KEY = "test-client-key"
REDIRECT_URI = "http://127.0.0.1:9999/wise/callback"
REDIRECT_WITH_QUERY = "http://127.0.0.1:9999/wise/callback?tenant=acme"
TEST_CLIENT = RegisteredClient(
    CLIENT_ID, CLIENT_SECRET, CLIENT_KEY, [REDIRECT_URI, REDIRECT_WITH_QUERY], name="Test Bank"
)


# One signing key for the whole run: making an RSA key per test app would dominate the run time.
SIGNING_KEY_PEM = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


def make_config(**overrides: Any) -> EmulatorConfig:
    """Return a config with the test client; webhooks wait for a flush unless told otherwise."""
    values: dict[str, Any] = {
        "clients": [TEST_CLIENT],
        "deliver_webhooks_automatically": False,
        "webhook_private_key_pem": SIGNING_KEY_PEM,
        # The receivers of these tests listen on http://127.0.0.1.
        "demo_allow_loopback_http_webhooks": True,
    }
    values.update(overrides)
    return EmulatorConfig(**values)


@pytest.fixture
def config() -> EmulatorConfig:
    """The emulator configuration; override this fixture in a module to change it."""
    return make_config()


@pytest.fixture
def app(config: EmulatorConfig) -> Iterator[Flask]:
    """A fresh emulator app."""
    application = create_emulator_app(config)
    yield application
    application.extensions["wise_emulator"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client for the emulator."""
    return app.test_client()


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The emulator served over loopback HTTP; yields its base URL."""
    with ServerThread(app) as server:
        yield f"http://127.0.0.1:{server.port}"


@pytest.fixture
def control(live: str) -> EmulatorControl:
    """The control API client for the live emulator."""
    return EmulatorControl(live)


def basic_auth(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict[str, str]:
    """Return an HTTP Basic Authorization header."""
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    """Return a Bearer Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def post_token(client: FlaskClient, **form: str) -> TestResponse:
    """POST a form to the token endpoint with the test client's credentials."""
    return client.post("/oauth/token", data=form, headers=basic_auth())


def app_token(client: FlaskClient) -> str:
    """Return a client-credentials access token."""
    response = post_token(client, grant_type="client_credentials")
    assert response.status_code == 200, response.json
    return str(response.json["access_token"])  # type: ignore[index]


def shortcut_code(
    client: FlaskClient, email: str, redirect_uri: str = REDIRECT_URI, **extra: Any
) -> dict[str, Any]:
    """Issue a code through the control API's authorize shortcut."""
    body = {"client_id": CLIENT_ID, "redirect_uri": redirect_uri, "email": email, **extra}
    response = client.post("/__emulator/authorize", json=body)
    assert response.status_code == 200, response.json
    return dict(response.json)  # type: ignore[arg-type]


def user_tokens(client: FlaskClient, email: str, **extra: Any) -> dict[str, Any]:
    """Return the token response for ``email`` after a shortcut consent and code exchange."""
    issued = shortcut_code(client, email, **extra)
    response = post_token(
        client,
        grant_type="authorization_code",
        code=issued["code"],
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
    )
    assert response.status_code == 200, response.json
    return {**response.json, "profile_id": issued["profile_id"]}  # type: ignore[dict-item]


def query_of(location: str) -> dict[str, list[str]]:
    """Return the parsed query of a redirect location."""
    return parse_qs(urlsplit(location).query)


def form_fields(html: str) -> dict[str, str]:
    """Return the name/value pairs of hidden inputs in a page."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


class Receiver:
    """A tiny webhook receiver: records each request and answers with scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[dict[str, Any]] = []
        self._held: threading.Event | None = None
        self._lock = threading.Lock()

    def hold_next_answer(self) -> threading.Event:
        """Make the next answer wait until the returned event is set (a receiver that is late)."""
        with self._lock:
            self._held = threading.Event()
            return self._held

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Record the request and answer with the next scripted status (200 when none left)."""
        incoming = Request(environ)
        record = {
            "path": incoming.path,
            "body": incoming.get_data(),
            "headers": dict(incoming.headers),
            "at": time.monotonic(),
        }
        with self._lock:
            self.received.append(record)
            status = self.statuses.pop(0) if self.statuses else 200
            held, self._held = self._held, None
        if held is not None:
            held.wait(timeout=30)
        start_response(f"{status} Scripted", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A running webhook receiver; yields it and its URL."""
    target = Receiver()
    with ServerThread(target) as server:
        yield target, f"http://127.0.0.1:{server.port}/wise/webhooks"


REGISTRATION_CODE = "a" * 8 + "-registration-code-of-40-chars-x"


def register_user(client: FlaskClient, email: str, code: str = REGISTRATION_CODE) -> dict[str, Any]:
    """Create an unclaimed account with a registration code; return the registration-code tokens."""
    headers = bearer(app_token(client))
    created = client.post(
        "/v1/user/signup/registration_code",
        json={"email": email, "registrationCode": code, "language": "EN"},
        headers=headers,
    )
    assert created.status_code == 200, created.json
    tokens = post_token(
        client,
        grant_type="registration_code",
        email=email,
        registration_code=code,
        client_id=CLIENT_ID,
    )
    assert tokens.status_code == 200, tokens.json
    return {**tokens.json, "user_id": created.json["id"]}  # type: ignore[dict-item, index]


PERSONAL_BODY: dict[str, Any] = {
    "firstName": "Mary",
    "lastName": "Somerville",
    "dateOfBirth": "1980-12-26",
    "nationality": "gbr",
    "address": {
        "addressFirstLine": "1 Burntisland Road",
        "city": "Edinburgh",
        "countryIso3Code": "gbr",
        "postCode": "EH1 1AA",
    },
    "contactDetails": {"email": "mary@example.com", "phoneNumber": "+447700900123"},
}

REPRESENTATIVE: dict[str, Any] = {
    "firstName": "Oliver",
    "lastName": "Wilson",
    "address": {
        "addressFirstLine": "50 Sunflower Ave",
        "city": "Phoenix",
        "countryIso3Code": "usa",
        "postCode": "10025",
        "stateCode": "AZ",
    },
    "dateOfBirth": "1977-07-01",
    "contactDetails": {"email": "o.wilson@example.com", "phoneNumber": "+3725064992"},
}

# Wise's own example of POST /v3/profiles/business-profile (docs.wise.com/api-reference/profile).
BUSINESS_BODY: dict[str, Any] = {
    "businessName": "ABC Logistics Ltd",
    "businessNameInKatakana": None,
    "businessFreeFormDescription": "Biz free form desc",
    "registrationNumber": "12144939",
    "acn": None,
    "abn": None,
    "arbn": None,
    "companyType": "LIMITED",
    "companyRole": "OWNER",
    "address": {
        "addressFirstLine": "1 A road",
        "city": "London",
        "countryIso2Code": "gb",
        "countryIso3Code": "gbr",
        "postCode": "11111",
    },
    "externalCustomerId": "67890-biz-acct",
    "actorEmail": "biz-acct@abcl.com",
    "firstLevelCategory": "CONSULTING_IT_BUSINESS_SERVICES",
    "secondLevelCategory": "DESIGN",
    "operationalAddresses": [
        {
            "addressFirstLine": "1 A road",
            "city": "London",
            "countryIso2Code": "gb",
            "countryIso3Code": "gbr",
            "postCode": "11111",
        }
    ],
    "webpage": "https://abc-logistics.com",
    "businessRepresentative": {**REPRESENTATIVE, "preferredName": "Olivia"},
}
