"""Builders for test data and settings."""

from __future__ import annotations

import copy
from typing import Any

from cryptography.fernet import Fernet

from sample_app.serving import free_port

API_KEY = "test-partner-key-0123456789abcdefghijklmnop"
OTHER_API_KEY = "second-partner-key-0123456789abcdefghijklmn"
ENCRYPTION_KEY = Fernet.generate_key().decode()
RETURN_URL = "https://app.example/wise/return"
APP_RETURN_URL = "acmebank://wise/return"
QUERY_RETURN_URL = "https://app.example/wise/return?tenant=eu"
TEST_RETURN_URLS = (RETURN_URL, APP_RETURN_URL, QUERY_RETURN_URL)

DEFAULT_CUSTOMER: dict[str, Any] = {
    "external_id": "c-123",
    "email": "ada@example.com",
    "date_of_birth": "1990-04-01",
    "type": "personal",
}


def kit_config(*, database_url: str, **overrides: str) -> dict[str, Any]:
    """Settings for a kit under test. Wise defaults to a closed loopback port."""
    closed = f"http://127.0.0.1:{free_port()}"
    return {
        "ONBOARDING_ENV": "test",
        "ONBOARDING_DATABASE_URL": database_url,
        "ONBOARDING_PUBLIC_BASE_URL": "http://localhost:5000",
        "ONBOARDING_SECRET_KEY": "s" * 48,
        "ONBOARDING_API_KEYS": f"{API_KEY},{OTHER_API_KEY}",
        "ONBOARDING_TOKEN_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ONBOARDING_RETURN_URLS": ",".join(TEST_RETURN_URLS),
        "ONBOARDING_WISE_CLIENT_ID": "acme-bank-demo",
        "ONBOARDING_WISE_CLIENT_SECRET": "client-secret-for-tests-only",
        "ONBOARDING_WISE_API_URL": closed,
        "ONBOARDING_WISE_AUTHORIZE_URL": f"{closed}/oauth/authorize/",
        **overrides,
    }


def stack_overrides(clock: Any) -> dict[str, Any]:
    """Kit settings a test stack needs on top of the demo wiring: its clock, key and return URLs."""
    return {
        "CLOCK": clock,
        "ONBOARDING_API_KEYS": API_KEY,
        "ONBOARDING_RETURN_URLS": ",".join(TEST_RETURN_URLS),
    }


def session_body(**overrides: Any) -> dict[str, Any]:
    """A valid ``POST /api/v1/onboarding-sessions`` body, with top-level or customer overrides.

    ``customer__email="x"`` overrides a customer field; ``customer__email=DROP`` removes it.
    """
    body: dict[str, Any] = {
        "customer": copy.deepcopy(DEFAULT_CUSTOMER),
        "return_url": RETURN_URL,
        "ttl_seconds": 600,
    }
    for key, value in overrides.items():
        target, name = (body["customer"], key[10:]) if key.startswith("customer__") else (body, key)
        if value is DROP:
            target.pop(name, None)
        else:
            target[name] = value
    return body


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
