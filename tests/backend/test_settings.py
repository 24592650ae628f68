"""Settings: safe defaults in development, refusal of weak configuration in production."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from backend import create_app
from backend.extensions import runtime_of
from backend.settings import SettingsError, load_settings

STRONG: dict[str, str] = {
    "ONBOARDING_ENV": "production",
    "ONBOARDING_SECRET_KEY": "k" * 20 + "Zq8-fV2xLm9pT4wR7yB1nC6dH3jK0sE5",
    "ONBOARDING_API_KEYS": "pk_live_5Yb2Qm8RkT1wZx7NcV3hL9dF4gJ6sA0e",
    "ONBOARDING_TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ONBOARDING_PUBLIC_BASE_URL": "https://onboarding.bank.test",
    "ONBOARDING_RETURN_URLS": "https://bank.test/wise/return,bankapp://wise/return",
    "ONBOARDING_WISE_CLIENT_ID": "bank-client",
    "ONBOARDING_WISE_CLIENT_SECRET": "0f3b9c1e-7d2a-4c55-9e61-2b8f7a4d1c90",
    "ONBOARDING_DATABASE_URL": "sqlite://",
}


def test_production_accepts_a_complete_configuration() -> None:
    settings = load_settings(STRONG)
    assert settings.is_production
    assert settings.secure_cookies
    assert settings.wise_redirect_uri == "https://onboarding.bank.test/oauth/wise/callback"
    assert settings.generated == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ONBOARDING_SECRET_KEY", ""),
        ("ONBOARDING_SECRET_KEY", "change-me-please-change-me-please-123"),
        ("ONBOARDING_SECRET_KEY", "too-short"),
        ("ONBOARDING_API_KEYS", ""),
        ("ONBOARDING_API_KEYS", "your-api-key-goes-here-0123456789abcdef"),
        ("ONBOARDING_TOKEN_ENCRYPTION_KEYS", ""),
        ("ONBOARDING_TOKEN_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("ONBOARDING_WISE_CLIENT_ID", ""),
        ("ONBOARDING_WISE_CLIENT_SECRET", ""),
        ("ONBOARDING_WISE_CLIENT_SECRET", "placeholder"),
        ("ONBOARDING_PUBLIC_BASE_URL", "http://onboarding.bank.test"),
        ("ONBOARDING_RETURN_URLS", ""),
        ("ONBOARDING_RETURN_URLS", "http://bank.test/wise/return"),
        ("ONBOARDING_WISE_API_URL", "http://api.wise-sandbox.com"),
    ],
)
def test_production_refuses_missing_or_placeholder_values(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**STRONG, name: value})


def test_create_app_refuses_to_start_in_production_without_secrets() -> None:
    with pytest.raises(SettingsError, match="ONBOARDING_SECRET_KEY"):
        create_app({**STRONG, "ONBOARDING_SECRET_KEY": ""})


def test_development_generates_missing_secrets_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    env = {"ONBOARDING_ENV": "development", "ONBOARDING_DATABASE_URL": "sqlite://"}
    with caplog.at_level("WARNING"):
        app = create_app(env)
    settings = runtime_of(app).settings
    assert set(settings.generated) == {
        "ONBOARDING_SECRET_KEY",
        "ONBOARDING_API_KEYS",
        "ONBOARDING_TOKEN_ENCRYPTION_KEYS",
    }
    assert len(settings.api_keys[0]) >= 40
    warned = caplog.text
    assert "ONBOARDING_API_KEYS is not set" in warned
    # The generated values themselves never reach the log.
    assert settings.api_keys[0] not in warned
    assert settings.secret_key not in warned
    assert settings.token_encryption_keys[0] not in warned


def test_generated_secrets_can_be_handed_to_worker_processes() -> None:
    settings = load_settings({"ONBOARDING_ENV": "development"})
    again = load_settings({"ONBOARDING_ENV": "development", **settings.generated_values()})
    assert again.api_keys == settings.api_keys
    assert again.token_encryption_keys == settings.token_encryption_keys
    assert again.generated == ()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ONBOARDING_ENV": "staging"}, "ONBOARDING_ENV"),
        ({"ONBOARDING_RETURN_URLS": "javascript:alert(1)"}, "ONBOARDING_RETURN_URLS"),
        ({"ONBOARDING_RETURN_URLS": "https://a.test/r#frag"}, "ONBOARDING_RETURN_URLS"),
        ({"ONBOARDING_RETURN_URLS": "/relative/path"}, "ONBOARDING_RETURN_URLS"),
        ({"ONBOARDING_RETURN_URLS": "https://a.test/" + "r" * 2048}, "ONBOARDING_RETURN_URLS"),
        ({"ONBOARDING_SESSION_TTL_SECONDS": "ten"}, "ONBOARDING_SESSION_TTL_SECONDS"),
        ({"ONBOARDING_SESSION_TTL_SECONDS": "4000"}, "ONBOARDING_SESSION_TTL_SECONDS"),
        ({"ONBOARDING_SESSION_MAX_TTL_SECONDS": "1801"}, "ONBOARDING_SESSION_MAX_TTL_SECONDS"),
        ({"ONBOARDING_WISE_CONNECT_TIMEOUT": "30"}, "ONBOARDING_WISE_CONNECT_TIMEOUT"),
        ({"ONBOARDING_WISE_READ_TIMEOUT": "60"}, "ONBOARDING_WISE_READ_TIMEOUT"),
        ({"ONBOARDING_PUBLIC_BASE_URL": "localhost:5000"}, "ONBOARDING_PUBLIC_BASE_URL"),
        ({"ONBOARDING_LOG_LEVEL": "LOUD"}, "ONBOARDING_LOG_LEVEL"),
    ],
)
def test_invalid_values_name_the_variable(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"ONBOARDING_ENV": "development", **overrides})


def test_defaults_match_the_documented_table() -> None:
    settings = load_settings({"ONBOARDING_ENV": "development"})
    assert settings.database_url == "sqlite:///instance/onboarding.db"
    assert settings.public_base_url == "http://localhost:5000"
    assert settings.return_urls == ()
    assert settings.wise_api_url == "https://api.wise-sandbox.com"
    assert settings.wise_authorize_url == "https://wise-sandbox.com/oauth/authorize/"
    assert settings.wise_redirect_uri == "http://localhost:5000/oauth/wise/callback"
    assert settings.session_ttl_seconds == 600
    assert settings.session_max_ttl_seconds == 1800
    assert not settings.secure_cookies


def test_empty_values_fall_back_to_the_defaults() -> None:
    """An env file with `NAME=` lines (like .env.example) behaves as if the names were unset."""
    settings = load_settings(
        {
            "ONBOARDING_ENV": "development",
            "ONBOARDING_WISE_REDIRECT_URI": "",
            "ONBOARDING_SESSION_TTL_SECONDS": " ",
            "ONBOARDING_RETURN_URLS": "",
        }
    )
    assert settings.wise_redirect_uri == "http://localhost:5000/oauth/wise/callback"
    assert settings.session_ttl_seconds == 600


def test_env_example_loads_as_an_environment() -> None:
    """`.env.example` copied verbatim into an env file starts a development service."""
    from pathlib import Path

    from dotenv import dotenv_values

    root = Path(__file__).resolve().parents[2]
    values = {k: v or "" for k, v in dotenv_values(root / ".env.example").items()}
    settings = load_settings(values)
    assert settings.env == "development"
    assert settings.wise_redirect_uri == f"{settings.public_base_url}/oauth/wise/callback"


def test_env_example_documents_every_setting() -> None:
    """Every setting the code reads appears in .env.example and the README, and nothing stale."""
    import re
    from pathlib import Path

    from backend.settings import Settings, env_name

    root = Path(__file__).resolve().parents[2]
    read = {env_name(field) for field in Settings.model_fields if field != "generated"}
    documented = set(
        re.findall(r"^#?\s*(ONBOARDING_[A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M)
    )
    assert read - documented == set(), "settings missing from .env.example"
    assert documented - read == set(), ".env.example lists settings the code does not read"
    readme = (root / "README.md").read_text()
    assert {name for name in read if name not in readme} == set(), "settings missing from README"


def test_production_reports_every_problem_at_once() -> None:
    """`.env.example` with ONBOARDING_ENV=production: one run names everything to fix."""
    from pathlib import Path

    from dotenv import dotenv_values

    root = Path(__file__).resolve().parents[2]
    values = {k: v or "" for k, v in dotenv_values(root / ".env.example").items()}
    with pytest.raises(SettingsError) as caught:
        load_settings({**values, "ONBOARDING_ENV": "production"})
    named = {line.split()[0] for line in caught.value.problems}
    assert named >= {
        "ONBOARDING_SECRET_KEY",
        "ONBOARDING_DATABASE_URL",
        "ONBOARDING_PUBLIC_BASE_URL",
        "ONBOARDING_API_KEYS",
        "ONBOARDING_RETURN_URLS",
        "ONBOARDING_TOKEN_ENCRYPTION_KEYS",
        "ONBOARDING_WISE_CLIENT_ID",
        "ONBOARDING_WISE_CLIENT_SECRET",
    }
    assert "Fernet.generate_key()" in str(caught.value), "the key error says how to make one"


def _readme_production_block() -> dict[str, str]:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Switching to the real Wise sandbox") :]
    return dict(re.findall(r"^\s*(ONBOARDING_[A-Z_]+)=(\S.*)$", section, re.M))


# Real values the README shows on purpose: Wise's own sandbox hosts, and the environment names.
LEGITIMATE_README_VALUES = {
    "ONBOARDING_ENV",
    "ONBOARDING_WISE_API_URL",
    "ONBOARDING_WISE_AUTHORIZE_URL",
    "ONBOARDING_WISE_ENVIRONMENT",
}


@pytest.mark.parametrize("name", sorted(set(_readme_production_block()) - LEGITIMATE_README_VALUES))
def test_production_refuses_the_readme_example_values(name: str) -> None:
    value = _readme_production_block()[name]
    with pytest.raises(SettingsError, match=name):
        load_settings({**STRONG, name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ONBOARDING_WISE_CLIENT_ID", "<sandbox client id>"),
        ("ONBOARDING_WISE_CLIENT_SECRET", "<sandbox client secret>"),
        ("ONBOARDING_WISE_CLIENT_SECRET", "changeme-changeme"),
        ("ONBOARDING_WISE_CLIENT_SECRET", "xxxxxxxxxxxxxxxx"),
        ("ONBOARDING_API_KEYS", "your-partner-api-key-0123456789abcdefghij"),
        ("ONBOARDING_SECRET_KEY", "example-secret-key-0123456789abcdefghijklmn"),
        ("ONBOARDING_PUBLIC_BASE_URL", "https://onboarding.example.com"),
        ("ONBOARDING_RETURN_URLS", "https://app.example/wise/return"),
        ("ONBOARDING_RETURN_URLS", "yourbank://wise/return"),
    ],
)
def test_production_refuses_placeholders(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**STRONG, name: value})


def test_config_check_masks_secrets_and_lists_problems(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from backend.cli import main

    env_file = tmp_path / "prod.env"
    env_file.write_text(
        "\n".join(f"{k}={v}" for k, v in {**STRONG, "ONBOARDING_WISE_CLIENT_ID": ""}.items())
    )
    result = CliRunner().invoke(main, ["config", "check", "--env-file", str(env_file)])
    assert result.exit_code == 1
    assert "ONBOARDING_WISE_CLIENT_ID is required in production" in result.output
    for secret in ("ONBOARDING_SECRET_KEY", "ONBOARDING_API_KEYS", "ONBOARDING_WISE_CLIENT_SECRET"):
        assert STRONG[secret] not in result.output
    env_file.write_text("\n".join(f"{k}={v}" for k, v in STRONG.items()))
    result = CliRunner().invoke(main, ["config", "check", "--env-file", str(env_file)])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
    assert STRONG["ONBOARDING_TOKEN_ENCRYPTION_KEYS"] not in result.output
