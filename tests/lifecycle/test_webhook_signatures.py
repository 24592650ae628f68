"""``X-Signature-SHA256``: RSA PKCS#1 v1.5 SHA-256 over the raw body, against configured keys.

The real sandbox vector (from Wise's own signature examples) must verify with the default key.
A refused delivery stores nothing.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend import create_app
from backend.wise.signatures import SANDBOX_KEY
from tests.lifecycle.helpers import Signer, query
from tests.support.kit import run_worker

VECTOR_BODY = (
    b'{"data":{"resource":{"id":49983981,"profile_id":16055450,"account_id":14124090,'
    b'"type":"transfer"},"current_state":"incoming_payment_waiting","previous_state":null,'
    b'"occurred_at":"2021-08-23T10:12:50Z"},"subscription_id":"90aa8e14-4ef1-4a56-861c-'
    b'f3c9cde097ea","event_type":"transfers#state-change","schema_version":"2.0.0",'
    b'"sent_at":"2021-08-23T10:12:50Z"}'
)
VECTOR_SIGNATURE = (
    "wKcKCYXAzxNgiu7xmoDm943NUni7Rz33QN8JkEA9dWSGebgndonabgSj18Y4C08OrwVmueGsED2s00M7DtJVcYKOS1"
    "i3G4TMVx+mgM3aL9djMBkQtiYNBFUd6wrPI7ZUNHv/TrlKSjTMc+6JFvUvJ7owY3z85e3I4jLRLJowMFvO8kvCJ60+"
    "1pY9wDwZvtZ//WS93LrwGjk9Dvwzpmu0w+P4J75tETT5qC3Uv0y5G2yO8SEoO3yNP/tg/BOli02niHb53vEOUWUb9b"
    "ly6thnfMoXoiV/osoGxgF20R58RlvkAmezyyl1Sv542TfS2DpiwVnmjjjkCyXeSUcKookYLQ=="
)
URL = "/webhooks/wise"


def post(client: FlaskClient, body: bytes, signature: str | None, **headers: str) -> Any:
    sent = {"Content-Type": "application/json", **headers}
    if signature is not None:
        sent["X-Signature-SHA256"] = signature
    response = client.post(URL, data=body, headers=sent)
    run_worker(client.application)  # the worker applies what the request stored
    return response


def stored(database_url: str) -> int:
    return len(query(database_url, "SELECT id FROM wise_webhook_event"))


def test_the_real_sandbox_vector_verifies_with_the_default_key(
    client: FlaskClient, database_url: str, api_headers: dict[str, str]
) -> None:
    response = post(client, VECTOR_BODY, VECTOR_SIGNATURE, **{"X-Delivery-Id": "a1b2c3"})
    assert response.status_code == 200
    assert response.json == {"received": True, "duplicate": False}
    assert stored(database_url) == 1
    transfer = client.get("/api/v1/wise-transfers/49983981", headers=api_headers)
    assert transfer.status_code == 200
    assert transfer.json == {
        "transfer_id": 49983981,
        "profile_id": 16055450,
        "current_state": "incoming_payment_waiting",
        "previous_state": None,
        "occurred_at": "2021-08-23T10:12:50Z",
    }


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.mark.parametrize("index", [0, 57, len(VECTOR_BODY) // 2, len(VECTOR_BODY) - 1])
def test_a_flipped_body_byte_fails(client: FlaskClient, database_url: str, index: int) -> None:
    response = post(client, flip(VECTOR_BODY, index), VECTOR_SIGNATURE)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_signature"
    assert stored(database_url) == 0


def test_a_flipped_signature_byte_fails(client: FlaskClient, database_url: str) -> None:
    raw = base64.b64decode(VECTOR_SIGNATURE)
    bad = base64.b64encode(flip(raw, 100)).decode()
    assert post(client, VECTOR_BODY, bad).status_code == 401
    assert stored(database_url) == 0


def test_a_reserialized_body_with_the_same_json_fails(
    client: FlaskClient, database_url: str
) -> None:
    """The same JSON written differently is other bytes: proof that the raw body is verified."""
    same = json.dumps(json.loads(VECTOR_BODY)).encode()  # default separators add spaces
    assert json.loads(same) == json.loads(VECTOR_BODY)
    assert same != VECTOR_BODY
    assert post(client, same, VECTOR_SIGNATURE).status_code == 401
    assert stored(database_url) == 0


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing header
        "",
        "   ",
        "not base64 at all!",
        VECTOR_SIGNATURE[:-4],  # truncated: bad padding
        VECTOR_SIGNATURE + "A" * 1024,  # over-long
        base64.b64encode(b"x" * 256).decode(),  # well-formed, wrong
        VECTOR_SIGNATURE.replace("+", "-").replace("/", "_"),  # URL-safe alphabet is not Wise's
    ],
)
def test_missing_malformed_overlong_or_wrong_signatures_fail(
    client: FlaskClient, database_url: str, signature: str | None
) -> None:
    response = post(client, VECTOR_BODY, signature)
    assert response.status_code == 401
    assert stored(database_url) == 0


def test_a_signature_from_another_key_fails(client: FlaskClient, database_url: str) -> None:
    other = Signer()
    assert post(client, VECTOR_BODY, other.sign(VECTOR_BODY)).status_code == 401
    assert stored(database_url) == 0


def test_the_production_key_does_not_accept_sandbox_deliveries(
    config: dict[str, Any], database_url: str
) -> None:
    app = create_app(
        {
            **config,
            "ONBOARDING_WISE_ENVIRONMENT": "production",
            "ONBOARDING_WISE_API_URL": "https://api.wise.com",
        }
    )
    assert post(app.test_client(), VECTOR_BODY, VECTOR_SIGNATURE).status_code == 401


def test_configured_keys_replace_the_default_and_several_are_allowed(
    config: dict[str, Any], database_url: str
) -> None:
    one, two = Signer(), Signer()
    only_one = create_app({**config, "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": one.public_pem})
    client = only_one.test_client()
    assert post(client, VECTOR_BODY, VECTOR_SIGNATURE).status_code == 401
    body = VECTOR_BODY.replace(b"49983981", b"49983982")
    assert post(client, body, one.sign(body)).status_code == 200
    both: Flask = create_app(
        {**config, "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": two.public_pem + SANDBOX_KEY}
    )
    client = both.test_client()
    assert post(client, VECTOR_BODY, VECTOR_SIGNATURE).status_code == 200
    body = VECTOR_BODY.replace(b"49983981", b"49983983")
    assert post(client, body, two.sign(body)).status_code == 200
    assert stored(database_url) == 3
