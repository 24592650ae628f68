"""The kit's parts on a Flask app: one ``Runtime`` per app, one ``Context`` per request.

Blueprints call ``context()`` and hand it to services; the request's database session is
opened on first use and closed at teardown. Nothing under ``backend/services`` imports this
module: services only ever see the ``Context``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g

from backend.clock import Clock
from backend.context import Context, Runtime
from backend.crypto import TokenCipher
from backend.db import new_session
from backend.settings import Settings
from backend.wise import WiseClient

RUNTIME = "onboarding.runtime"
_REQUEST_CONTEXT = "onboarding_context"


def init_app(app: Flask, settings: Settings, clock: Any = None) -> Runtime:
    """Build the app's runtime; ``clock`` is the test seam for moving time."""
    runtime = Runtime.build(settings, clock)
    app.extensions[RUNTIME] = runtime

    @app.teardown_appcontext
    def close_request_session(_exc: BaseException | None) -> None:
        ctx: Context | None = g.pop(_REQUEST_CONTEXT, None)
        if ctx is not None:
            ctx.db.close()

    return runtime


def runtime_of(app: Flask) -> Runtime:
    """The runtime of a given app (outside a request, in commands and tests)."""
    runtime: Runtime = app.extensions[RUNTIME]
    return runtime


def context() -> Context:
    """This request's context, its database session opened on first use."""
    ctx: Context | None = g.get(_REQUEST_CONTEXT)
    if ctx is None:
        runtime = runtime_of(current_app)
        ctx = runtime.context(new_session(runtime.engine), request_id=g.get("request_id"))
        g.setdefault(_REQUEST_CONTEXT, ctx)
    return ctx


def settings() -> Settings:
    """The current app's settings."""
    return runtime_of(current_app).settings


def clock() -> Clock:
    """The current app's clock."""
    return runtime_of(current_app).clock


def wise() -> WiseClient:
    """The current app's Wise client."""
    return runtime_of(current_app).wise


def cipher() -> TokenCipher:
    """The current app's token cipher."""
    return runtime_of(current_app).cipher


def settings_from(app: Flask) -> Settings:
    """The settings of a given app (outside a request)."""
    return runtime_of(app).settings
