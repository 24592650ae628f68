"""``create_emulator_app``: the Wise emulator as a Flask app, built from named steps."""

from __future__ import annotations

import logging
import re
import secrets
import uuid

from flask import Flask, Response, request
from jinja2 import StrictUndefined

from . import (
    api_kyc,
    api_onboarding,
    api_profiles,
    api_users,
    api_users_onboarding,
    api_webhooks,
    control,
    control_events,
    landing,
    oauth,
    simulation,
    ui,
    ui_claim,
    ui_kyc,
    ui_signup,
)
from .config import EmulatorConfig
from .errors import register_error_handlers
from .faults import apply_fault, lost_answer
from .state import EXTENSION_KEY, Emulator
from .ui_flow import register_ui_error_handler

logger = logging.getLogger("sample_app.wise_emulator")

CONTROL_PREFIX = "/__emulator"
STATIC_PREFIX = "/assets"
# The pages load only their own scripts and styles; the camera preview needs media from blob:.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def create_emulator_app(config: EmulatorConfig | None = None) -> Flask:
    """Build an emulator app; each call has its own users, tokens, clock and signing key."""
    config = config or EmulatorConfig()
    app = Flask(__name__, static_url_path=STATIC_PREFIX)
    configure_app(app)
    state = Emulator(config)
    app.extensions[EXTENSION_KEY] = state
    register_blueprints(app, config)
    register_error_handlers(app)
    register_ui_error_handler(app)
    register_request_hooks(app)
    return app


def configure_app(app: Flask) -> None:
    """Set the session cookie, upload limit and template strictness."""
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        # Cookies ignore ports: on 127.0.0.1 the partner's apps would otherwise share "session".
        SESSION_COOKIE_NAME="wise_emulator_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.jinja_env.undefined = StrictUndefined


def register_blueprints(app: Flask, config: EmulatorConfig) -> None:
    """Mount Wise's surface and, when enabled, the test-only control API."""
    for blueprint in (
        landing.bp,
        oauth.bp,
        ui.bp,
        ui_signup.bp,
        ui_claim.bp,
        api_users.bp,
        api_users_onboarding.bp,
        api_profiles.bp,
        api_onboarding.bp,
        api_webhooks.bp,
        api_kyc.bp,
        simulation.bp,
        ui_kyc.bp,
    ):
        app.register_blueprint(blueprint)
    if config.enable_control_api:
        app.register_blueprint(control.bp, url_prefix=CONTROL_PREFIX)
        app.register_blueprint(control_events.bp, url_prefix=CONTROL_PREFIX)


def route_name() -> str | None:
    """Return ``METHOD /path/{arg}`` for the matched route, or None when nothing matched."""
    if request.url_rule is None:
        return None
    rule = RULE_ARGUMENT.sub(r"{\1}", request.url_rule.rule)
    return f"{request.method} {rule}"


def is_wise_surface() -> bool:
    """Tell whether this request is to Wise's surface (not the landing page, control API or
    static files)."""
    return request.path != "/" and not request.path.startswith((CONTROL_PREFIX, STATIC_PREFIX))


def register_request_hooks(app: Flask) -> None:
    """Count requests, inject faults, echo correlation ids, set page headers, log paths."""

    @app.before_request
    def count_and_inject() -> Response | None:
        """Count the request, then let a matching fault answer it."""
        if not is_wise_surface():
            return None
        store = app.extensions[EXTENSION_KEY].store
        with store.lock:
            name = route_name()
            if name is not None:
                store.counters["requests"][name] += 1
            store.counters["paths"][f"{request.method} {request.path}"] += 1
            if request.path == "/oauth/token" and request.method == "POST":
                grant = request.form.get("grant_type") or "missing"
                store.counters["token_requests"][grant] += 1
        return apply_fault(store)

    @app.after_request
    def finish(response: Response) -> Response:
        """Add Wise's tracing headers and the pages' security headers."""
        response = lost_answer() or response
        correlation = request.headers.get("X-External-Correlation-Id")
        if correlation:
            response.headers["X-External-Correlation-Id"] = correlation
        response.headers["x-trace-id"] = uuid.uuid4().hex
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = PAGE_CSP
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
        # Path only: query strings on the authorize legs carry codes and state.
        logger.info("%s %s %s", request.method, request.path, response.status_code)
        return response
