"""Key rotation covers every encrypted column, so removing the old key afterwards loses nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlmodel import SQLModel

import backend.models  # noqa: F401  (registers every table)
from backend import create_app
from backend.cli import main
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.services.keys import ENCRYPTED
from sample_app.demo import Stack
from tests.lifecycle.helpers import instance_config
from tests.prefill.conftest import PrefillKit, prefill_body
from tests.support.factories import API_KEY


def test_every_ciphertext_column_is_rotated() -> None:
    listed = {(model.__tablename__, column) for model, columns in ENCRYPTED for column in columns}
    stored = {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_ciphertext")
    }
    assert stored == listed


def test_prefill_secrets_survive_rotation_and_removal_of_the_old_key(
    stack: Stack,
    prefill_kit: PrefillKit,
    clock: FrozenClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = stack.secrets.encryption_key, Fernet.generate_key().decode()
    # A launched prefill session leaves a registration code and a cached application token; a
    # second, unlaunched one keeps its prefill data and its idempotency answer.
    prefill_kit.launch(prefill_kit.create(prefill_body()))
    waiting = prefill_kit.create(prefill_body(), Idempotency_Key="k-rotation")

    def config(keys: str) -> dict[str, Any]:
        return {
            **instance_config(stack, database_url, ONBOARDING_TOKEN_ENCRYPTION_KEYS=keys),
            "CLOCK": clock,
        }

    for name, value in config(f"{new},{old}").items():
        if name.startswith("ONBOARDING_"):
            monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["rotate-keys"])
    assert result.exit_code == 0, result.output
    for table in (
        "wise_app_token 1",
        "prefill_account 1",
        "onboarding_session 1",
        "idempotency_record 1",
    ):
        assert table in result.output

    # The old key is gone: every stored secret still opens.
    client = create_app(config(new)).test_client()
    replay = client.post(
        "/api/v1/onboarding-sessions",
        json=prefill_body(),
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "k-rotation"},
    )
    assert replay.status_code == 201
    assert replay.json == waiting
    launched = client.get(urlsplit(waiting["launch_url"]).path)
    assert launched.status_code == 303
    assert parse_qs(urlsplit(launched.headers["Location"]).query)["claim_account_code"]
    runtime_of(client.application).engine.dispose()


def test_an_unreadable_ciphertext_fails_the_command_and_keeps_the_data(
    stack: Stack,
    prefill_kit: PrefillKit,
    clock: FrozenClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefill_kit.create(prefill_body())
    # A configuration that lost the key the data was written with.
    stranger = Fernet.generate_key().decode()
    env = instance_config(stack, database_url, ONBOARDING_TOKEN_ENCRYPTION_KEYS=stranger)
    for name, value in env.items():
        if name.startswith("ONBOARDING_"):
            monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["rotate-keys"])
    assert result.exit_code == 1
    assert "onboarding_session 1" in result.output
    assert "keep the old keys" in result.output
