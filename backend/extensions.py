"""Per-app singletons (settings, clock, Wise client, token cipher) and typed accessors for them."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from backend import db as database
from backend.clock import Clock, SystemClock
from backend.crypto import TokenCipher
from backend.settings import Settings
from backend.wise import WiseClient

SETTINGS = "onboarding.settings"
CLOCK = "onboarding.clock"
WISE = "onboarding.wise"
CIPHER = "onboarding.cipher"


def init_app(app: Flask, settings: Settings, clock: Any = None) -> None:
    """Bind the singletons to ``app``; ``clock`` is the test seam for moving time."""
    chosen: Clock = clock or SystemClock()
    app.extensions[SETTINGS] = settings
    app.extensions[CLOCK] = chosen
    app.extensions[CIPHER] = TokenCipher(settings.token_encryption_keys)
    app.extensions[WISE] = WiseClient(settings, chosen)
    database.init_app(app, settings.database_url)


def settings() -> Settings:
    """The current app's settings."""
    return current_app.extensions[SETTINGS]


def clock() -> Clock:
    """The current app's clock."""
    return current_app.extensions[CLOCK]


def wise() -> WiseClient:
    """The current app's Wise client."""
    return current_app.extensions[WISE]


def cipher() -> TokenCipher:
    """The current app's token cipher."""
    return current_app.extensions[CIPHER]


def settings_from(app: Flask) -> Settings:
    """The settings of a given app (outside a request)."""
    return app.extensions[SETTINGS]
