"""Secrets at rest and in logs: tokens are ciphertext, and no secret reaches any log line."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, text

from backend.clock import FrozenClock
from backend.crypto import TokenCipher
from backend.extensions import runtime_of
from backend.logs import TEXT_FORMAT, json_formatter
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.support.factories import API_KEY
from tests.support.kit import KitApi

CLIENT_ID = "acme-bank-demo"


def link_journey(kit: KitApi, wise: EmulatorControl, stack: Stack) -> dict[str, str]:
    """Run a full link and return every secret value it involved."""
    created = kit.create_session()
    launched = kit.launch(created["launch_url"], created["id"])
    granted = wise.authorize(
        CLIENT_ID, f"{stack.kit_url}/oauth/wise/callback", "ada@example.com", state=launched.state
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
    response = kit.callback(params, launched.cookies)
    assert response.status_code == 303
    return {
        "launch token": created["launch_url"].rsplit("/", 1)[1],
        "state": launched.state,
        "binding cookie": launched.cookie_value,
        "receipt cookie": response.cookies["wise_onboarding_linked"],
        "code": params["code"],
        "api key": API_KEY,
        "client secret": runtime_of(stack.kit_app).settings.wise_client_secret,
    }


def run_worker_in_its_thread(stack: Stack) -> None:
    """Let the kit's worker do its round, in a thread of its own as in its own process."""
    assert stack.worker is not None
    thread = threading.Thread(target=stack.worker.drain, name="kit-worker")
    thread.start()
    thread.join(timeout=60)


def rendered(caplog: pytest.LogCaptureFixture) -> str:
    """The servers' and the worker's records as both formats would write them.

    Records from the main thread come from this test acting as browser and partner backend (its
    HTTP client logs full URLs at DEBUG); the servers and the worker log from their own threads.
    """
    text, as_json = logging.Formatter(TEXT_FORMAT), json_formatter()
    return "\n".join(
        formatter.format(record)
        for record in caplog.records
        if record.threadName != "MainThread"
        for formatter in (text, as_json)
    )


def stored_tokens(stack: Stack, database_url: str) -> tuple[str, str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT access_token_ciphertext, refresh_token_ciphertext FROM wise_link")
        ).one()
    engine.dispose()
    cipher: TokenCipher = runtime_of(stack.kit_app).cipher
    return cipher.decrypt(row[0]), cipher.decrypt(row[1])


def test_tokens_are_not_stored_in_plain_text(
    kit: KitApi, wise: EmulatorControl, stack: Stack, database_url: str
) -> None:
    secrets = link_journey(kit, wise, stack)
    access, refresh = stored_tokens(stack, database_url)
    assert len(access) > 10
    assert len(refresh) > 10
    path = Path(database_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for value in (access, refresh, secrets["launch token"], secrets["state"], secrets["code"]):
        assert value.encode() not in raw


def test_no_secret_appears_in_any_log(
    kit: KitApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The kit's and the emulator's own loggers too: their configured level would hide DEBUG.
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="backend"),
        caplog.at_level(logging.DEBUG, logger="sample_app"),
    ):
        secrets = link_journey(kit, wise, stack)
        # Failure paths log too: a replay, a bad key and an unknown launch token.
        replayed = {"state": secrets["state"], "code": secrets["code"]}
        kit.callback(replayed, None)
        # And the replay this browser may make after linking, answered from its receipt.
        assert kit.callback(replayed, {"wise_onboarding_linked": secrets["receipt cookie"]}).ok
        kit.http.get(f"{stack.kit_url}/onboarding/launch/{secrets['launch token']}")
        run_worker_in_its_thread(stack)
    access, refresh = stored_tokens(stack, database_url)
    secrets.update({"access token": access, "refresh token": refresh})
    logged = rendered(caplog)
    assert "GET /oauth/wise/callback" in logged  # the request log did run
    assert "GET /onboarding/launch/<token>" in logged
    for name, value in secrets.items():
        assert value not in logged, f"{name} leaked into the logs"


def test_no_token_reaches_the_logs_of_brokering_refresh_and_webhooks(
    kit: KitApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"{stack.kit_url}/api/v1/customers/c-123/wise-link/access-token"
    # The kit's and the emulator's own loggers too: their configured level would hide DEBUG.
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="backend"),
        caplog.at_level(logging.DEBUG, logger="sample_app"),
    ):
        secrets = link_journey(kit, wise, stack)
        first_access, refresh = stored_tokens(stack, database_url)
        handed_out = kit.http.post(url).json()["access_token"]
        # A refresh that fails transiently, one that succeeds, and one the partner asks for.
        clock.advance(43199)
        wise.add_fault("POST", "/oauth/token", status=503, grant_type="refresh_token")
        assert kit.http.post(url).status_code == 503
        refreshed = kit.http.post(url).json()["access_token"]
        forced = kit.http.post(url, json={"rejected_access_token": refreshed}).json()
        # Webhooks: a verified delivery from the emulator and a forged one.
        profile_id = kit.get_link()["profile_id"]
        wise.set_verification(profile_id, "verified")
        wise.flush_webhooks()
        run_worker_in_its_thread(stack)
        kit.http.post(
            f"{stack.kit_url}/webhooks/wise", data=b"{}", headers={"X-Signature-SHA256": "x"}
        )
        # And the revocation path.
        wise.revoke_user("ada@example.com")
        assert (
            kit.http.post(url, json={"rejected_access_token": forced["access_token"]}).status_code
            == 409
        )
    secrets.update(
        {
            "first access token": first_access,
            "handed-out token": handed_out,
            "refresh token": refresh,
            "refreshed token": refreshed,
            "forced token": forced["access_token"],
        }
    )
    logged = rendered(caplog)
    assert "POST /api/v1/customers/<external_id>/wise-link/access-token 200" in logged
    assert "wise webhook profiles#verification-state-change: applied" in logged  # the worker
    assert "POST /webhooks/wise 200" in logged
    assert "token refresh failed transiently" in logged
    assert "link needs reauthorization" in logged
    for name, value in secrets.items():
        assert value not in logged, f"{name} leaked into the logs"
