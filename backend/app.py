"""The application factory, built from named steps."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from jinja2 import StrictUndefined
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.middleware.proxy_fix import ProxyFix

from backend import extensions, rate_limits
from backend.errors import (
    Conflict,
    InvalidRequest,
    ServiceUnavailable,
    register_errorhandlers,
    render_error,
)
from backend.logs import configure_logging
from backend.request_log import register_request_log
from backend.settings import Settings, load_settings

logger = logging.getLogger(__name__)

# No inline script or style anywhere, nothing from other origins, and no framing.
DEFAULT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
MAX_BODY_BYTES = 64 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the service. ``config`` overrides environment variables (``ONBOARDING_*`` names).

    The extra key ``CLOCK`` injects a clock object (tests use it to move time).
    """
    overrides = dict(config or {})
    clock = overrides.pop("CLOCK", None)
    settings = load_settings({**os.environ, **overrides})
    app = Flask(__name__)
    configure_app(app, settings)
    register_extensions(app, settings, clock)
    register_blueprints(app)
    register_rate_limits(app, settings)
    register_errorhandlers(app)
    register_database_errors(app)
    register_security_headers(app)
    register_request_log(app)
    warn_about_generated_secrets(settings)
    return app


def configure_app(app: Flask, settings: Settings) -> None:
    """Flask's own settings: secret key, body size limit, strict templates."""
    configure_logging(settings.log_level, settings.log_format)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    # A template that references a missing value fails loudly instead of rendering blank.
    app.jinja_env.undefined = StrictUndefined
    # Werkzeug answers "//path" with a 308 to an absolute URL built from the Host header, which
    # anyone can set. The kit builds absolute URLs from its public base URL only, so routing
    # never merges slashes: such paths are simply not found. (Its other redirect, "path" to a
    # rule ending in "/", cannot happen: no route ends with "/", which a test checks.)
    app.url_map.merge_slashes = False
    if settings.trusted_proxy_count:
        # Only X-Forwarded-For is trusted (for per-client rate limits); absolute URLs still come
        # from ONBOARDING_PUBLIC_BASE_URL, never from forwarded host or scheme headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxy_count, x_proto=0, x_host=0
        )


def register_extensions(app: Flask, settings: Settings, clock: Any) -> None:
    """Bind settings, clock, token cipher, Wise client and database to the app."""
    extensions.init_app(app, settings, clock)


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    from backend.blueprints import (
        api_docs,
        app_links,
        camera_check,
        health,
        home,
        journey,
        kyc,
        links_api,
        metrics,
        sessions_api,
        transfers_api,
        webhooks,
    )

    for blueprint in (
        home.bp,
        health.bp,
        metrics.bp,
        sessions_api.bp,
        links_api.bp,
        transfers_api.bp,
        journey.bp,
        kyc.bp,
        webhooks.bp,
        camera_check.bp,
        app_links.bp,
        api_docs.bp,
    ):
        app.register_blueprint(blueprint)


def register_rate_limits(app: Flask, settings: Settings) -> None:
    """Per-key and per-address limits on the API, the browser legs and the webhook."""
    rate_limits.init_app(app, settings)


def register_database_errors(app: Flask) -> None:
    """A database outage is a 503 (retry later), never a 500, and never loses data.

    Input is validated before it reaches the database, so the other two are safety nets: a value
    the database refuses is the caller's (400, retrying cannot help), and an unexpected conflict
    with a concurrent request is a 409.
    """

    @app.errorhandler(DBAPIError)
    def database_error(err: DBAPIError) -> Response:
        logger.error("database error (%s) on %s", type(err.orig).__name__, _rule())
        if isinstance(err, DataError):
            return render_error(InvalidRequest("A value in the request cannot be stored."))
        if isinstance(err, IntegrityError):
            return render_error(Conflict())
        return render_error(ServiceUnavailable(headers={"Retry-After": "5"}))

    @app.errorhandler(PoolTimeout)
    @app.errorhandler(DisconnectionError)
    def database_busy(err: SQLAlchemyError) -> Response:
        # Every pooled connection is in use (or none could be made): bounded, then "try later".
        logger.error("database unavailable (%s) on %s", type(err).__name__, _rule())
        return render_error(ServiceUnavailable(headers={"Retry-After": "5"}))


def register_security_headers(app: Flask) -> None:
    """Security headers on every response; views may set a stricter or specific CSP first."""
    hsts = extensions.settings_from(app).secure_cookies

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # The OAuth return URL carries code and state: never leak it through Referer.
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not request.path.startswith("/static/"):
            # Launch and callback answers, session states and tokens must never be cached.
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Pragma", "no-cache")
        return response


def warn_about_generated_secrets(settings: Settings) -> None:
    """Say which secrets were generated for this process; the values are never logged."""
    for name in settings.generated:
        logger.warning(
            "%s is not set: generated a random value for this process (development only)", name
        )


def _rule() -> str:
    return request.url_rule.rule if request.url_rule else "(no route)"
