"""The lifecycle settings: defaults, key overrides, and production refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import SettingsError, load_settings
from backend.wise.signatures import PRODUCTION_KEY, SANDBOX_KEY
from tests.backend.test_settings import STRONG
from tests.lifecycle.helpers import Signer

PARTNER = {
    "ONBOARDING_PARTNER_WEBHOOK_URL": "https://bank.test/hooks/wise-link",
    "ONBOARDING_PARTNER_WEBHOOK_SECRET": "whsec_9Qm2Lx7Rt4Vb8Nc1Zk6Hd3Pf0Gs5Jw2E",
}


def test_defaults() -> None:
    life = load_settings({"ONBOARDING_ENV": "development"})
    assert life.wise_environment == "sandbox"
    assert life.wise_webhook_public_keys == (SANDBOX_KEY,)
    assert life.token_refresh_margin_seconds == 600
    assert life.partner_webhook_url == ""
    assert not life.partner_notifications_enabled
    assert life.wise_client_key == ""


def test_the_production_environment_trusts_the_production_key() -> None:
    env = {
        **STRONG,
        "ONBOARDING_WISE_ENVIRONMENT": "production",
        "ONBOARDING_WISE_API_URL": "https://api.wise.com",
        "ONBOARDING_WISE_AUTHORIZE_URL": "https://wise.com/oauth/authorize/",
    }
    assert load_settings(env).wise_webhook_public_keys == (PRODUCTION_KEY,)


def test_keys_can_be_pem_text_with_escaped_newlines_or_files(tmp_path: Path) -> None:
    one, two = Signer(), Signer()
    escaped = one.public_pem.replace("\n", "\\n")
    life = load_settings({"ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": escaped})
    assert life.wise_webhook_public_keys == (one.public_pem,)
    path = tmp_path / "wise-keys.pem"
    path.write_text(one.public_pem + two.public_pem)
    life = load_settings({"ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": str(path)})
    assert life.wise_webhook_public_keys == (one.public_pem, two.public_pem)
    other = tmp_path / "other.pem"
    other.write_text(SANDBOX_KEY)
    both = f"{path},{other}"
    life = load_settings({"ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": both})
    assert len(life.wise_webhook_public_keys) == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ONBOARDING_WISE_ENVIRONMENT": "staging"}, "ONBOARDING_WISE_ENVIRONMENT"),
        ({"ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": "/no/such/file.pem"}, "PUBLIC_KEYS"),
        (
            {"ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": "-----BEGIN PUBLIC KEY-----\nAAAA\n"},
            "PUBLIC_KEYS",
        ),
        (
            {
                "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": (
                    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
                )
            },
            "PUBLIC_KEYS",
        ),
        ({"ONBOARDING_TOKEN_REFRESH_MARGIN_SECONDS": "-1"}, "MARGIN"),
        ({"ONBOARDING_TOKEN_REFRESH_MARGIN_SECONDS": "soon"}, "MARGIN"),
        # Wise's tokens live 12 hours: a margin over half of that is refused.
        ({"ONBOARDING_TOKEN_REFRESH_MARGIN_SECONDS": "21601"}, "between 0 and 21600"),
        ({"ONBOARDING_PARTNER_WEBHOOK_URL": "bank.test/hook"}, "ONBOARDING_PARTNER_WEBHOOK_URL"),
        (
            {"ONBOARDING_PARTNER_WEBHOOK_URL": "https://bank.test/hook"},
            "ONBOARDING_PARTNER_WEBHOOK_SECRET is required",
        ),
        (
            {"ONBOARDING_WISE_API_URL": "https://api.wise.com"},
            "ONBOARDING_WISE_ENVIRONMENT is sandbox",
        ),
        (
            {"ONBOARDING_WISE_ENVIRONMENT": "production"},
            "ONBOARDING_WISE_ENVIRONMENT is production",
        ),
    ],
)
def test_invalid_values_name_the_variable(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"ONBOARDING_ENV": "development", **overrides})


def test_the_refresh_margin_may_be_half_a_token_lifetime() -> None:
    env = {"ONBOARDING_TOKEN_REFRESH_MARGIN_SECONDS": "21600"}
    assert load_settings(env).token_refresh_margin_seconds == 21600


def test_production_accepts_a_strong_partner_secret_over_https() -> None:
    life = load_settings({**STRONG, **PARTNER})
    assert life.partner_notifications_enabled


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ONBOARDING_PARTNER_WEBHOOK_URL", "http://bank.test/hooks/wise-link"),
        ("ONBOARDING_PARTNER_WEBHOOK_SECRET", ""),
        ("ONBOARDING_PARTNER_WEBHOOK_SECRET", "short-secret"),
        ("ONBOARDING_PARTNER_WEBHOOK_SECRET", "change-me-change-me-change-me-change-me"),
    ],
)
def test_production_refuses_weak_partner_webhook_settings(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**STRONG, **PARTNER, name: value})
