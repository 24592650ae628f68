"""``onboarding-kit rotate-keys``: old keys decrypt until rotation is done, then only the new."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet, InvalidToken

from backend import create_app
from backend.cli import main
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    LifecycleApi,
    instance_config,
    link_customer,
    link_row,
)
from tests.support.factories import API_KEY

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
TOKEN_URL = "/api/v1/customers/{}/wise-link/access-token"


def opens(key: str, ciphertext: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def test_rotation_reencrypts_every_token_with_the_first_key(
    stack: Stack,
    wise: EmulatorControl,
    clock: FrozenClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = LifecycleApi(stack.kit_url)
    wise.create_user("bea@example.com", date_of_birth="1990-04-01")
    link_customer(api, wise, stack, external_id="c-1")
    link_customer(api, wise, stack, external_id="c-2", email="bea@example.com")
    old_key, new_key = stack.secrets.encryption_key, Fernet.generate_key().decode()
    tokens = {c: api.token_value(c) for c in ("c-1", "c-2")}

    # A kit with the new key first still reads tokens stored under the old one...
    rotated_app = create_app(
        {
            **instance_config(
                stack, database_url, ONBOARDING_TOKEN_ENCRYPTION_KEYS=f"{new_key},{old_key}"
            ),
            "CLOCK": clock,
        }
    )
    client = rotated_app.test_client()
    answer = client.post(TOKEN_URL.format("c-1"), headers=HEADERS)
    assert answer.status_code == 200
    assert answer.json == {"access_token": tokens["c-1"], "expires_at": answer.json["expires_at"]}
    # ...and stores what it refreshes under the new key.
    clock.advance(ACCESS_TOKEN_SECONDS)
    assert client.post(TOKEN_URL.format("c-1"), headers=HEADERS).status_code == 200
    assert opens(new_key, link_row(database_url, "c-1")["access_token_ciphertext"])
    assert opens(old_key, link_row(database_url, "c-2")["access_token_ciphertext"])

    # A kit that already dropped the old key refuses loudly and changes nothing.
    only_new = {
        **instance_config(stack, database_url, ONBOARDING_TOKEN_ENCRYPTION_KEYS=new_key),
        "CLOCK": clock,
    }
    early = create_app(only_new).test_client().post(TOKEN_URL.format("c-2"), headers=HEADERS)
    assert early.status_code == 500
    assert early.json["error"] == "token_key_missing"
    assert link_row(database_url, "c-2")["status"] == "linked"

    env = instance_config(
        stack, database_url, ONBOARDING_TOKEN_ENCRYPTION_KEYS=f"{new_key},{old_key}"
    )
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "wise_link 1," in result.output  # c-1 was already rotated by its refresh
    for customer in ("c-1", "c-2"):
        row = link_row(database_url, customer)
        for column in ("access_token_ciphertext", "refresh_token_ciphertext"):
            assert opens(new_key, row[column])
            assert not opens(old_key, row[column])

    # Now the old key can go: the new key alone serves both customers, refreshes included.
    client = create_app(only_new).test_client()
    assert client.post(TOKEN_URL.format("c-2"), headers=HEADERS).status_code == 200
    again = CliRunner().invoke(main, ["rotate-keys"])
    assert "re-encrypted 0 row(s)" in again.output
    runtime_of(rotated_app).engine.dispose()
