"""Webhook subscriptions, signed delivery, retries and the events the simulation emits."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Flask
from flask.testing import FlaskClient

from sample_app.wise_emulator import create_emulator_app
from sample_app.wise_emulator.webhooks import MAX_ATTEMPTS, retry_delay_seconds
from tests.support.waiting import wait_until

from .conftest import (
    CLIENT_KEY,
    Receiver,
    app_token,
    bearer,
    make_config,
    user_tokens,
)

SUBSCRIPTIONS = f"/v3/applications/{CLIENT_KEY}/subscriptions"
VERIFICATION = "profiles#verification-state-change"
TRANSFER = "transfers#state-change"


def subscribe(client: FlaskClient, url: str, trigger_on: str = VERIFICATION) -> dict[str, Any]:
    """Create an application subscription and return it."""
    response = client.post(
        SUBSCRIPTIONS,
        json={
            "name": "Webhook Subscription #1",
            "trigger_on": trigger_on,
            "delivery": {"version": "2.0.0", "url": url},
        },
        headers=bearer(app_token(client)),
    )
    assert response.status_code == 200, response.json
    return dict(response.json)  # type: ignore[arg-type]


def verify(public_pem: str, body: bytes, signature: str) -> bool:
    """Check a webhook signature the way a partner must: RSA PKCS#1 v1.5, SHA-256, raw body."""
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(base64.b64decode(signature), body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def flush(client: FlaskClient) -> list[dict[str, Any]]:
    """Attempt every pending delivery now."""
    return list(client.post("/__emulator/webhooks/flush").json)  # type: ignore[arg-type]


def test_subscription_crud(client: FlaskClient) -> None:
    created = subscribe(client, "https://partner.example/wise/webhooks")
    assert created["scope"] == {"domain": "application", "id": CLIENT_KEY}
    assert created["created_by"] == {"type": "application", "id": "test-client"}
    assert created["delivery"] == {
        "version": "2.0.0",
        "url": "https://partner.example/wise/webhooks",
    }
    headers = bearer(app_token(client))
    listed = client.get(SUBSCRIPTIONS, headers=headers).json
    assert [s["id"] for s in listed] == [created["id"]]  # type: ignore[union-attr]
    one = client.get(f"{SUBSCRIPTIONS}/{created['id']}", headers=headers)
    assert one.json == created
    assert client.delete(f"{SUBSCRIPTIONS}/{created['id']}", headers=headers).status_code == 204
    assert client.get(f"{SUBSCRIPTIONS}/{created['id']}", headers=headers).status_code == 404
    assert client.get(SUBSCRIPTIONS, headers=headers).json == []


@pytest.mark.parametrize(
    ("body", "status", "code", "path"),
    [
        (
            {
                "trigger_on": VERIFICATION,
                "delivery": {"version": "2.0.0", "url": "https://a.example/"},
            },
            400,
            "NotNull",
            "name",
        ),
        (
            {
                "name": "n",
                "trigger_on": "nope#event",
                "delivery": {"version": "2.0.0", "url": "https://a.example/"},
            },
            422,
            "INVALID",
            "trigger_on",
        ),
        (
            {"name": "n", "trigger_on": VERIFICATION, "delivery": {"version": "2.0.0"}},
            400,
            "NotNull",
            "delivery.url",
        ),
        (
            {
                "name": "n",
                "trigger_on": VERIFICATION,
                "delivery": {"version": "2.0.0", "url": "https://a.example/?x=1"},
            },
            422,
            "INVALID",
            "delivery.url",
        ),
        (
            {
                "name": "n",
                "trigger_on": VERIFICATION,
                "delivery": {"version": "2.0.0", "url": "ftp://a.example/"},
            },
            422,
            "INVALID",
            "delivery.url",
        ),
    ],
)
def test_subscription_validation(
    client: FlaskClient, body: dict[str, Any], status: int, code: str, path: str
) -> None:
    response = client.post(SUBSCRIPTIONS, json=body, headers=bearer(app_token(client)))
    assert response.status_code == status
    assert response.json["errors"][0]["code"] == code  # type: ignore[index]
    assert response.json["errors"][0]["path"] == path  # type: ignore[index]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.partner.example/wise", "must use HTTPS"),
        ("https://hooks.partner.example:8443/wise", "port 443"),
        ("https://203.0.113.7/wise", "IP addresses are not allowed"),
        ("https://[2001:db8::1]/wise", "IP addresses are not allowed"),
        ("https://hooks/wise", "valid domain name"),
        ("https://hooks.partner.example/wise?type=balance", "query string"),
        ("http://127.0.0.1:8080/wise", "must use HTTPS"),
    ],
)
def test_subscription_urls_follow_wises_rules(client: FlaskClient, url: str, problem: str) -> None:
    client.patch("/__emulator/settings", json={"demo_allow_loopback_http_webhooks": False})
    body = {"name": "n", "trigger_on": VERIFICATION, "delivery": {"version": "2.0.0", "url": url}}
    response = client.post(SUBSCRIPTIONS, json=body, headers=bearer(app_token(client)))
    assert response.status_code == 422
    [error] = response.json["errors"]  # type: ignore[index]
    assert (error["code"], error["path"]) == ("INVALID", "delivery.url")
    assert problem in error["message"]


def test_the_demo_switch_lets_loopback_http_urls_in_and_nothing_else(client: FlaskClient) -> None:
    assert client.get("/__emulator/settings").json["demo_allow_loopback_http_webhooks"] is True
    headers = bearer(app_token(client))
    for url, status in (
        ("http://127.0.0.1:8080/wise", 200),
        ("http://localhost:5000/webhooks/wise", 200),
        ("https://hooks.partner.example:443/wise", 200),
        ("http://hooks.partner.example/wise", 422),
        ("http://localhost:5000/webhooks/wise?x=1", 422),
    ):
        body = {
            "name": "n",
            "trigger_on": VERIFICATION,
            "delivery": {"version": "2.0.0", "url": url},
        }
        assert client.post(SUBSCRIPTIONS, json=body, headers=headers).status_code == status, url


def test_subscriptions_need_the_applications_own_client_credentials_token(
    client: FlaskClient,
) -> None:
    other = client.get(
        "/v3/applications/someone-else/subscriptions", headers=bearer(app_token(client))
    )
    assert other.status_code == 403
    user = user_tokens(client, "ada@example.com")["access_token"]
    assert client.get(SUBSCRIPTIONS, headers=bearer(user)).status_code == 403
    assert client.get(SUBSCRIPTIONS).status_code == 401


def test_test_notification_is_signed_and_marked(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    created = subscribe(client, url)
    response = client.post(
        f"{SUBSCRIPTIONS}/{created['id']}/test-notifications", headers=bearer(app_token(client))
    )
    assert response.status_code == 200
    [notice] = response.json  # type: ignore[misc]
    assert set(notice) == {"delivery_id", "created_at"}
    [attempt] = flush(client)
    assert attempt["succeeded"] is True
    [request] = target.received
    assert request["headers"]["X-Test-Notification"] == "true"
    assert request["headers"]["X-Delivery-Id"] == notice["delivery_id"]
    public_pem = client.get("/__emulator/webhooks/public-key").get_data(as_text=True)
    assert verify(public_pem, request["body"], request["headers"]["X-Signature-Sha256"])


def test_verification_event_is_signed_over_the_exact_body(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    subscription = subscribe(client, url)
    tokens = user_tokens(client, "ada@example.com")
    headers = bearer(tokens["access_token"])
    status_url = f"/v3/profiles/{tokens['profile_id']}/verification-status/bank-transfer"
    before = client.post(f"{status_url}?source_currencies=GBP,USD", headers=headers).json
    assert [r["current_status"] for r in before["routes"]] == ["not_verified", "not_verified"]  # type: ignore[index]
    assert before["routes"][0]["maximum_entitled_amount"] == 0  # type: ignore[index]
    simulated = client.post(
        f"/v1/simulation/profiles/{tokens['profile_id']}/verifications", headers=headers
    )
    assert simulated.status_code == 200
    flush(client)
    [request] = target.received
    body = request["body"]
    envelope = json.loads(body)
    assert envelope["event_type"] == VERIFICATION
    assert envelope["subscription_id"] == subscription["id"]
    assert envelope["schema_version"] == "2.0.0"
    assert envelope["sent_at"].endswith("Z")
    assert envelope["data"]["resource"] == {"type": "profile", "id": tokens["profile_id"]}
    assert envelope["data"]["current_state"] == "verified"
    assert "X-Test-Notification" not in request["headers"]
    public_pem = client.get("/__emulator/webhooks/public-key").get_data(as_text=True)
    signature = request["headers"]["X-Signature-Sha256"]
    assert verify(public_pem, body, signature)
    assert not verify(public_pem, body.replace(b"verified", b"verifieD"), signature)
    after = client.post(f"{status_url}?source_currencies=GBP", headers=headers).json
    assert after["routes"] == [  # type: ignore[index]
        {"source_currency": "GBP", "maximum_entitled_amount": 100000, "current_status": "verified"}
    ]
    assert after["request_id"]  # type: ignore[index]


def test_verification_status_needs_source_currencies(client: FlaskClient) -> None:
    tokens = user_tokens(client, "ada@example.com")
    response = client.post(
        f"/v3/profiles/{tokens['profile_id']}/verification-status/bank-transfer",
        headers=bearer(tokens["access_token"]),
    )
    assert response.status_code == 400


def test_verification_routes_can_be_mixed_per_currency(client: FlaskClient) -> None:
    tokens = user_tokens(client, "ada@example.com")
    profile_id = tokens["profile_id"]
    routes = {
        "GBP": {"current_status": "verified", "maximum_entitled_amount": 100000},
        "EUR": {"current_status": "not_verified", "maximum_entitled_amount": 10000},
    }
    assert (
        client.put(
            f"/__emulator/profiles/{profile_id}/verification-routes", json={"routes": routes}
        ).status_code
        == 200
    )
    answer = client.post(
        f"/v3/profiles/{profile_id}/verification-status/bank-transfer?source_currencies=GBP,USD,EUR",
        headers=bearer(tokens["access_token"]),
    ).json
    # Wise's own example: verified, not_verified with 0, not_verified with a limit.
    assert answer["routes"] == [
        {"source_currency": "GBP", "maximum_entitled_amount": 100000, "current_status": "verified"},
        {"source_currency": "USD", "maximum_entitled_amount": 0, "current_status": "not_verified"},
        {
            "source_currency": "EUR",
            "maximum_entitled_amount": 10000,
            "current_status": "not_verified",
        },
    ]
    for bad in ({"gbp": routes["GBP"]}, {"GBP": {"current_status": "maybe"}}, []):
        refused = client.put(
            f"/__emulator/profiles/{profile_id}/verification-routes", json={"routes": bad}
        )
        assert refused.status_code == 400
    # A verification decision replaces per-route answers.
    client.post(f"/__emulator/profiles/{profile_id}/verification", json={"state": "verified"})
    again = client.post(
        f"/v3/profiles/{profile_id}/verification-status/bank-transfer?source_currencies=EUR",
        headers=bearer(tokens["access_token"]),
    ).json
    assert again["routes"][0]["current_status"] == "verified"


def test_verification_events_go_only_to_applications_that_know_the_profile(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    subscribe(client, url)
    grace = client.get("/__emulator/users/grace@example.com").json
    client.post(f"/__emulator/profiles/{grace['profiles'][0]['id']}/verification", json={})  # type: ignore[index]
    assert flush(client) == []
    tokens = user_tokens(client, "grace@example.com")
    client.post("/v1/simulation/verify-profile", headers=bearer(tokens["access_token"]))
    flush(client)
    assert len(target.received) == 1


def test_user_state_changes_reach_the_applications_that_know_the_user(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    subscribe(client, url, trigger_on="users#state-change")
    tokens = user_tokens(client, "ada@example.com")
    changed = client.post(
        "/__emulator/users/ada@example.com/state",
        json={
            "state": "WITHDRAW_ONLY",
            "deactivation_type": "ACCOUNT_SUSPENSION",
            "deactivation_reason": "REQUESTED_BY_CUSTOMER_CS",
        },
    )
    assert changed.json["state"] == "WITHDRAW_ONLY"  # type: ignore[index]
    flush(client)
    [delivery] = target.received
    body = json.loads(delivery["body"])
    assert body["event_type"] == "users#state-change"
    data = body["data"]
    assert data["resource"] == {"id": changed.json["id"], "type": "user"}  # type: ignore[index]
    assert (data["previous_state"], data["current_state"]) == ("ACTIVE", "WITHDRAW_ONLY")
    assert data["deactivation_type"] == "ACCOUNT_SUSPENSION"
    assert data["deactivation_reason"] == "REQUESTED_BY_CUSTOMER_CS"
    # Still usable while withdrawing; a deactivation revokes every token of the user.
    me = client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    client.post("/__emulator/users/ada@example.com/state", json={"state": "DEACTIVATED"})
    assert client.get("/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    refused = client.post("/__emulator/users/ada@example.com/state", json={"state": "GONE"})
    assert refused.status_code == 400
    # Grace never dealt with this client: her change goes to nobody here.
    client.post("/__emulator/users/grace@example.com/state", json={"state": "WITHDRAW_ONLY"})
    flush(client)
    assert len(target.received) == 2


def test_transfer_events_carry_the_previous_state(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    subscribe(client, url, trigger_on=TRANSFER)
    tokens = user_tokens(client, "ada@example.com")
    transfer = client.post("/__emulator/transfers", json={"profile_id": tokens["profile_id"]}).json
    headers = bearer(tokens["access_token"])
    for step in ("processing", "funds_converted", "outgoing_payment_sent"):
        moved = client.get(f"/v1/simulation/transfers/{transfer['id']}/{step}", headers=headers)  # type: ignore[index]
        assert moved.json["status"] == step  # type: ignore[index]
    backwards = client.get(f"/v1/simulation/transfers/{transfer['id']}/processing", headers=headers)  # type: ignore[index]
    assert backwards.status_code == 400
    flush(client)
    states = [json.loads(r["body"])["data"] for r in target.received]
    assert [(s["previous_state"], s["current_state"]) for s in states] == [
        (None, "incoming_payment_waiting"),
        ("incoming_payment_waiting", "processing"),
        ("processing", "funds_converted"),
        ("funds_converted", "outgoing_payment_sent"),
    ]
    assert states[0]["resource"]["profile_id"] == tokens["profile_id"]
    assert states[0]["resource"]["type"] == "transfer"


def test_profile_level_subscription_receives_transfer_events(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    tokens = user_tokens(client, "ada@example.com")
    headers = bearer(tokens["access_token"])
    path = f"/v3/profiles/{tokens['profile_id']}/subscriptions"
    body = {"name": "p", "trigger_on": TRANSFER, "delivery": {"version": "2.0.0", "url": url}}
    created = client.post(path, json=body, headers=headers)
    assert created.json["scope"] == {"domain": "profile", "id": str(tokens["profile_id"])}  # type: ignore[index]
    refused = client.post(path, json={**body, "trigger_on": VERIFICATION}, headers=headers)
    assert refused.status_code == 422
    client.post("/__emulator/transfers", json={"profile_id": tokens["profile_id"]})
    flush(client)
    assert len(target.received) == 1


def test_configured_signing_key_is_used(receiver: tuple[Receiver, str]) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    app = create_emulator_app(make_config(webhook_private_key_pem=pem))
    try:
        published = app.test_client().get("/__emulator/webhooks/public-key").get_data(as_text=True)
        expected = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert published == expected.decode()
    finally:
        app.extensions["wise_emulator"].close()


def test_retry_schedule_doubles_then_goes_daily() -> None:
    delays = [retry_delay_seconds(n, 60.0) for n in range(1, MAX_ATTEMPTS)]
    assert delays[:11] == [60.0 * 2**k for k in range(11)]
    assert delays[11:] == [86400.0] * 13
    assert MAX_ATTEMPTS == 25


def test_delivery_gives_up_after_25_attempts(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    target.statuses = [500] * 30
    subscription = subscribe(client, url)
    client.post(
        f"{SUBSCRIPTIONS}/{subscription['id']}/test-notifications",
        headers=bearer(app_token(client)),
    )
    for _ in range(MAX_ATTEMPTS + 2):
        flush(client)
    [delivery] = client.get("/__emulator/webhooks/deliveries").json  # type: ignore[misc]
    assert delivery["state"] == "failed"
    assert len(delivery["attempts"]) == MAX_ATTEMPTS
    assert len(target.received) == MAX_ATTEMPTS
    ids = {r["headers"]["X-Delivery-Id"] for r in target.received}
    assert len(ids) == MAX_ATTEMPTS  # a new delivery id for every attempt


@pytest.fixture
def auto_app() -> Iterator[Flask]:
    """An emulator that delivers by itself, with the retry minute compressed to 50 ms."""
    app = create_emulator_app(
        make_config(deliver_webhooks_automatically=True, webhook_retry_base_seconds=0.05)
    )
    yield app
    app.extensions["wise_emulator"].close()


def test_failed_delivery_is_retried_on_the_compressed_schedule(
    auto_app: Flask, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    target.statuses = [503, 500]  # fails twice, then the default 200
    client = auto_app.test_client()
    subscribe(client, url)
    tokens = user_tokens(client, "ada@example.com")
    client.post(
        f"/v1/simulation/profiles/{tokens['profile_id']}/verifications",
        headers=bearer(tokens["access_token"]),
    )

    def delivered() -> dict[str, Any] | None:
        listed = client.get("/__emulator/webhooks/deliveries").json
        done = [d for d in listed if d["state"] == "delivered"]  # type: ignore[union-attr]
        return done[0] if done else None

    delivery = wait_until(delivered, lambda found: found is not None, what="the delivery")
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 500, 200]
    first, second, third = (r["at"] for r in target.received)
    assert second - first >= 0.05
    assert third - second >= 0.1
    bodies = {r["body"] for r in target.received}
    assert len(bodies) == 1  # the same signed body every time
    assert len({r["headers"]["X-Delivery-Id"] for r in target.received}) == 3


def test_answer_after_the_delivery_window_counts_as_failure(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    # Wise's window is 5 seconds; the switch compresses it so the test does not wait 5 s.
    assert client.get("/__emulator/settings").json["webhook_success_within_seconds"] == 5.0
    client.patch("/__emulator/settings", json={"webhook_success_within_seconds": 0.2})
    target, url = receiver
    subscription = subscribe(client, url)
    client.post(
        f"{SUBSCRIPTIONS}/{subscription['id']}/test-notifications",
        headers=bearer(app_token(client)),
    )
    # The receiver answers only once the emulator has given up on it: late by construction,
    # however slow or fast the machine is.
    late = target.hold_next_answer()
    try:
        [attempt] = flush(client)
    finally:
        late.set()
    assert attempt["succeeded"] is False
    assert attempt["status_code"] is None
    assert attempt["state"] == "pending"
    assert len(target.received) == 1  # it did reach the receiver
    # The retry gets Wise's own 5-second window, which a receiver answering at once meets.
    client.patch("/__emulator/settings", json={"webhook_success_within_seconds": 5.0})
    [retry] = flush(client)
    assert retry["succeeded"] is True
    assert retry["status_code"] == 200
