"""Rate limits: per API key, per address for wrong keys and browser legs, shared through Redis."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from flask import Flask

from backend import create_app
from sample_app.serving import free_port
from tests.support.factories import API_KEY, OTHER_API_KEY

REDIS_URL = "redis://127.0.0.1:6379/0"
SESSIONS = "/api/v1/onboarding-sessions"


def kit(config: dict[str, Any], **limits: str) -> Flask:
    # Each app its own secret key: counters are keyed by it, so tests never share them.
    return create_app({**config, "ONBOARDING_SECRET_KEY": secrets.token_urlsafe(48), **limits})


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def session_id() -> str:
    return str(uuid.uuid4())


def test_the_partner_api_is_limited_per_api_key(config: dict[str, Any]) -> None:
    client = kit(config, ONBOARDING_RATE_LIMIT_API="3/hour").test_client()
    codes = [
        client.get(f"{SESSIONS}/{session_id()}", headers=auth(API_KEY)).status_code
        for _ in range(4)
    ]
    assert codes == [404, 404, 404, 429]
    refused = client.get(f"{SESSIONS}/{session_id()}", headers=auth(API_KEY))
    assert refused.json["error"] == "rate_limited"
    assert "Retry-After" in refused.json["error_description"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3601
    # The link and transfer APIs draw on the same allowance...
    assert client.get("/api/v1/customers/c-1/wise-link", headers=auth(API_KEY)).status_code == 429
    # ...and another partner key has its own.
    assert client.get(f"{SESSIONS}/{session_id()}", headers=auth(OTHER_API_KEY)).status_code == 404


def test_wrong_api_keys_are_limited_per_address(config: dict[str, Any]) -> None:
    app = kit(config, ONBOARDING_RATE_LIMIT_AUTH_FAILURES="3/hour")
    client = app.test_client()
    wrong = auth("not-a-key-0123456789abcdefghijklmnopqrstuv")
    codes = [client.get(f"{SESSIONS}/{session_id()}", headers=wrong).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # Guessing from that address is over, with a good key too, for the rest of the window...
    assert client.get(f"{SESSIONS}/{session_id()}", headers=auth(API_KEY)).status_code == 429
    # ...while answers that accepted the key never counted against any address.
    other = app.test_client()
    good = [
        other.get(
            f"{SESSIONS}/{session_id()}",
            headers=auth(API_KEY),
            environ_base={"REMOTE_ADDR": "198.51.100.4"},
        ).status_code
        for _ in range(5)
    ]
    assert good == [404] * 5


def test_browser_legs_are_limited_per_address_with_a_friendly_page(config: dict[str, Any]) -> None:
    client = kit(config, ONBOARDING_RATE_LIMIT_BROWSER="2/hour").test_client()
    codes = [client.get("/onboarding/launch/unknown-token").status_code for _ in range(2)]
    assert codes == [410, 410]
    refused = client.get("/oauth/wise/callback?state=x&code=y")  # launch and return share it
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Please wait a moment" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    elsewhere = client.get(
        "/onboarding/launch/unknown-token", environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert elsewhere.status_code == 410


def test_the_client_address_comes_from_a_trusted_proxy_only(config: dict[str, Any]) -> None:
    direct = kit(config, ONBOARDING_RATE_LIMIT_BROWSER="1/hour").test_client()
    assert (
        direct.get("/onboarding/launch/t", headers={"X-Forwarded-For": "1.1.1.1"}).status_code
        == 410
    )
    # Without a trusted proxy a forged X-Forwarded-For changes nothing: same socket address.
    forged = direct.get("/onboarding/launch/t", headers={"X-Forwarded-For": "2.2.2.2"})
    assert forged.status_code == 429
    proxied = kit(
        config, ONBOARDING_RATE_LIMIT_BROWSER="1/hour", ONBOARDING_TRUSTED_PROXY_COUNT="1"
    ).test_client()
    assert (
        proxied.get("/onboarding/launch/t", headers={"X-Forwarded-For": "1.1.1.1"}).status_code
        == 410
    )
    assert (
        proxied.get("/onboarding/launch/t", headers={"X-Forwarded-For": "2.2.2.2"}).status_code
        == 410
    )


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")


@pytest.fixture
def shared_instances(config: dict[str, Any]) -> list[Flask]:
    redis_or_skip()
    key = secrets.token_urlsafe(48)
    settings = {
        **config,
        "ONBOARDING_SECRET_KEY": key,
        "ONBOARDING_REDIS_URL": REDIS_URL,
        "ONBOARDING_RATE_LIMIT_API": "4/hour",
    }
    return [create_app(settings) for _ in range(3)]


def test_instances_share_their_counters_through_redis(shared_instances: list[Flask]) -> None:
    clients = [app.test_client() for app in shared_instances]
    codes = [
        clients[n % 3].get(f"{SESSIONS}/{session_id()}", headers=auth(API_KEY)).status_code
        for n in range(6)
    ]
    assert codes == [404, 404, 404, 404, 429, 429]


def test_a_redis_outage_does_not_take_the_api_down(config: dict[str, Any]) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    client = kit(
        config, ONBOARDING_REDIS_URL=closed, ONBOARDING_RATE_LIMIT_API="2/hour"
    ).test_client()
    codes = [
        client.get(f"{SESSIONS}/{session_id()}", headers=auth(API_KEY)).status_code
        for _ in range(3)
    ]
    # Counted in memory meanwhile: the limit still holds on this instance.
    assert codes == [404, 404, 429]
