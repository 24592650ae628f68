"""The prefill settings block: defaults, ranges and the cross-check with session lifetimes."""

from __future__ import annotations

import pytest

from backend.settings import SettingsError, load_settings


def test_defaults() -> None:
    prefill = load_settings({})
    assert prefill.prefill_time_budget_seconds == 10.0
    assert prefill.prefill_language == "EN"
    assert prefill.wise_app_token_refresh_margin_seconds == 600
    assert prefill.idempotency_key_ttl_seconds == 86400


def test_values_are_read_and_normalised() -> None:
    prefill = load_settings(
        {
            "ONBOARDING_PREFILL_TIME_BUDGET_SECONDS": "2.5",
            "ONBOARDING_PREFILL_LANGUAGE": "de",
            "ONBOARDING_WISE_APP_TOKEN_REFRESH_MARGIN_SECONDS": "0",
            "ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS": "3600",
        }
    )
    assert (prefill.prefill_time_budget_seconds, prefill.prefill_language) == (2.5, "DE")
    assert prefill.wise_app_token_refresh_margin_seconds == 0
    assert prefill.idempotency_key_ttl_seconds == 3600


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ONBOARDING_PREFILL_TIME_BUDGET_SECONDS", "0"),
        ("ONBOARDING_PREFILL_TIME_BUDGET_SECONDS", "61"),
        ("ONBOARDING_PREFILL_TIME_BUDGET_SECONDS", "ten"),
        ("ONBOARDING_PREFILL_LANGUAGE", "EN-GB"),
        ("ONBOARDING_PREFILL_LANGUAGE", "xx"),
        ("ONBOARDING_WISE_APP_TOKEN_REFRESH_MARGIN_SECONDS", "-1"),
        ("ONBOARDING_WISE_APP_TOKEN_REFRESH_MARGIN_SECONDS", "43200"),
        ("ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS", "59"),
        ("ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS", "1.5"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_idempotency_keys_outlive_the_longest_session() -> None:
    with pytest.raises(SettingsError, match="ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS"):
        load_settings(
            {
                "ONBOARDING_SESSION_MAX_TTL_SECONDS": "1800",
                "ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS": "900",
            }
        )
