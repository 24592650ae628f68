"""Idempotency-Key on session creation: replays, reuse with another body, bad keys, races."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from backend import create_app
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.services import idempotency
from sample_app.serving import ServerThread
from tests.prefill.conftest import prefill_body
from tests.support.factories import OTHER_API_KEY, kit_config, session_body

URL = "/api/v1/onboarding-sessions"


def post(client: FlaskClient, headers: dict[str, str], key: str | None, body: Any = None) -> Any:
    extra = {} if key is None else {"Idempotency-Key": key}
    return client.post(URL, json=body or prefill_body(), headers={**headers, **extra})


def count_sessions(app: Flask) -> int:
    with runtime_of(app).job() as ctx:
        return int(ctx.db.execute(text("SELECT COUNT(*) FROM onboarding_session")).scalar_one())


def test_same_key_and_body_return_the_original_session(
    client: FlaskClient, app: Flask, api_headers: dict[str, str]
) -> None:
    first = post(client, api_headers, "order-7-attempt")
    again = post(client, api_headers, "order-7-attempt")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_sessions(app) == 1


def test_key_order_and_spacing_of_the_body_do_not_matter(
    client: FlaskClient, app: Flask, api_headers: dict[str, str]
) -> None:
    body = session_body()
    first = post(client, api_headers, "k-1", body)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    again = client.post(
        URL,
        data=reordered,
        content_type="application/json",
        headers={**api_headers, "Idempotency-Key": "k-1"},
    )
    assert again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert count_sessions(app) == 1


def test_same_key_with_another_body_is_refused(
    client: FlaskClient, app: Flask, api_headers: dict[str, str]
) -> None:
    post(client, api_headers, "k-2", session_body())
    other = post(client, api_headers, "k-2", session_body(customer__external_id="c-other"))
    assert other.status_code == 422
    assert other.json["error"] == "idempotency_key_reused"
    assert other.json["field"] == "Idempotency-Key"
    assert count_sessions(app) == 1


def test_without_a_key_every_post_creates_a_session(
    client: FlaskClient, app: Flask, api_headers: dict[str, str]
) -> None:
    assert post(client, api_headers, None).json["id"] != post(client, api_headers, None).json["id"]
    assert count_sessions(app) == 2


def test_keys_belong_to_one_partner_api_key(
    client: FlaskClient, app: Flask, api_headers: dict[str, str]
) -> None:
    mine = post(client, api_headers, "shared-key")
    theirs = post(client, {"Authorization": f"Bearer {OTHER_API_KEY}"}, "shared-key")
    assert theirs.status_code == 201
    assert theirs.json["id"] != mine.json["id"]


@pytest.mark.parametrize(
    "key",
    ["", "has space", "x" * 256, "tab\there", "caf\u00e9", "del\x7f"],
)
def test_bad_keys_get_a_clear_400(
    client: FlaskClient, app: Flask, api_headers: dict[str, str], key: str
) -> None:
    response = post(client, api_headers, key)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_idempotency_key"
    assert response.json["field"] == "Idempotency-Key"
    assert "255 visible ASCII" in response.json["error_description"]
    assert count_sessions(app) == 0


@pytest.mark.parametrize(
    "key", ["a", "x" * 255, "3f2c7a1e-8b9d-4e5f-a6b7-c8d9e0f1a2b3", "K~!#$%/=+"]
)
def test_keys_up_to_255_visible_characters_work(
    client: FlaskClient, api_headers: dict[str, str], key: str
) -> None:
    assert post(client, api_headers, key).status_code == 201


def test_an_expired_key_starts_a_new_session_and_is_purged(
    client: FlaskClient, app: Flask, api_headers: dict[str, str], clock: FrozenClock
) -> None:
    first = post(client, api_headers, "k-old")
    clock.advance(86400)
    again = post(client, api_headers, "k-old")
    assert again.status_code == 201
    assert again.json["id"] != first.json["id"]
    assert "Idempotent-Replayed" not in again.headers
    clock.advance(86400)
    with runtime_of(app).job() as ctx:
        assert idempotency.purge_expired(ctx=ctx) == 1


def test_the_stored_answer_is_encrypted(
    client: FlaskClient, api_headers: dict[str, str], database_url: str
) -> None:
    created = post(client, api_headers, "k-secret").json
    token = created["launch_url"].rsplit("/", 1)[1]
    path = Path(database_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert token.encode() not in raw
    assert b"k-secret" in raw  # the key itself is not a secret


def test_a_replayed_launch_url_is_still_single_use(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    created = post(client, api_headers, "k-once", session_body()).json
    path = created["launch_url"].removeprefix("http://localhost:5000")
    assert client.get(path).status_code == 303
    replayed = post(client, api_headers, "k-once", session_body()).json
    assert replayed["launch_url"] == created["launch_url"]
    assert client.get(path).status_code == 410


def race_first_use(kit_url: str, api_key: str) -> list[requests.Response]:
    """Twenty partners' retries of one key, released together."""
    barrier = threading.Barrier(20)
    body = prefill_body()

    def send(_: int) -> requests.Response:
        barrier.wait()
        return requests.post(
            kit_url + URL,
            json=body,
            headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": "race-key"},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(send, range(20)))


@pytest.fixture
def kit_server(app: Flask) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.url("localhost")


def test_concurrent_first_uses_of_a_key_create_one_session(
    kit_server: str, app: Flask, api_headers: dict[str, str]
) -> None:
    responses = race_first_use(kit_server, api_headers["Authorization"].split()[1])
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["launch_url"] for r in responses}) == 1
    assert count_sessions(app) == 1


@pytest.mark.postgres
def test_concurrent_first_uses_of_a_key_create_one_session_on_postgres(
    postgres_url: str, clock: FrozenClock, api_headers: dict[str, str]
) -> None:
    app = create_app({**kit_config(database_url=postgres_url), "CLOCK": clock})
    try:
        with ServerThread(app) as server:
            responses = race_first_use(
                server.url("localhost"), api_headers["Authorization"].split()[1]
            )
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert count_sessions(app) == 1
    finally:
        runtime_of(app).engine.dispose()
