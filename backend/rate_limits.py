"""Rate limits, shared by every instance when ``ONBOARDING_REDIS_URL`` is set (Flask-Limiter).

- the partner API (sessions, links, transfers), per API key (per client address for a wrong
  key): ``ONBOARDING_RATE_LIMIT_API``;
- failed API-key attempts, per client address: ``ONBOARDING_RATE_LIMIT_AUTH_FAILURES``;
- launch links, the OAuth return and Hosted KYC's browser legs, per client address:
  ``ONBOARDING_RATE_LIMIT_BROWSER``;
- the camera-check page and its reports, per client address: ``ONBOARDING_RATE_LIMIT_BROWSER``
  and ``ONBOARDING_RATE_LIMIT_CAMERA_CHECK``;
- Wise webhooks, per client address, high enough that Wise's bursts never reach it:
  ``ONBOARDING_RATE_LIMIT_WEBHOOKS``.

Without Redis each instance counts on its own (in memory). If Redis stops answering, each
instance falls back to its own counters rather than refusing traffic. Counter keys never hold an
API key or an address: both are keyed hashes. The client address is the socket's, or the
``X-Forwarded-For`` hop that ``ONBOARDING_TRUSTED_PROXY_COUNT`` says to trust.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from backend import metrics
from backend.api import presented_api_key
from backend.errors import RateLimited, render_error
from backend.security import matches_any
from backend.settings import Settings

LIMITER = "onboarding.limiter"


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Attach a limiter to ``app`` and put each group of routes under its limit."""
    from backend.blueprints import (
        camera_check,
        journey,
        kyc,
        links_api,
        sessions_api,
        transfers_api,
    )
    from backend.blueprints import webhooks as webhooks_bp

    def keyed(value: str) -> str:
        return hmac.new(settings.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()

    def client() -> str:
        return "addr:" + keyed(request.remote_addr or "unknown")[:32]

    def api_caller() -> str:
        key = presented_api_key()
        if key and matches_any(key, settings.api_keys):
            return "key:" + keyed(key)[:32]
        return client()

    limiter = Limiter(
        client,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        strategy="fixed-window",
        # Deployments sharing one Redis never share counters: the prefix follows the secret key.
        key_prefix="onboarding-" + keyed("rate-limits")[:12],
        # A Redis outage must not take the partner API down: count per instance meanwhile.
        swallow_errors=True,
        in_memory_fallback_enabled=bool(settings.redis_url),
        headers_enabled=False,
    )
    partner_api = limiter.shared_limit(settings.rate_limit_api, "partner-api", key_func=api_caller)
    wrong_keys = limiter.shared_limit(
        settings.rate_limit_auth_failures,
        "api-key-failures",
        key_func=client,
        # Only answers that refused the key count; once over, the address is refused anyway.
        deduct_when=lambda response: response.status_code == 401,
    )
    for blueprint in (sessions_api.bp, links_api.bp, transfers_api.bp):
        partner_api(blueprint)
        wrong_keys(blueprint)
    browser = limiter.shared_limit(settings.rate_limit_browser, "browser", key_func=client)
    browser(journey.bp)
    browser(kyc.bp)
    limiter.limit(settings.rate_limit_browser, key_func=client, methods=["GET"])(camera_check.bp)
    limiter.limit(settings.rate_limit_camera_check, key_func=client, methods=["POST"])(
        camera_check.bp
    )
    limiter.limit(settings.rate_limit_webhooks, key_func=client)(webhooks_bp.bp)

    @app.errorhandler(RateLimitExceeded)
    def refused(err: RateLimitExceeded) -> Response:
        metrics.RATE_LIMITED.labels(limit=_which(err)).inc()
        return render_error(RateLimited(headers={"Retry-After": str(_retry_after(limiter))}))

    app.extensions[LIMITER] = limiter
    return limiter


# The scope of each shared limit, and the blueprint of the others, as metric labels.
LIMIT_LABELS = {
    "partner-api": "partner_api",
    "api-key-failures": "api_key_failures",
    "browser": "browser",
    "camera_check": "camera_check",
    "webhooks": "webhooks",
}


def _which(err: RateLimitExceeded) -> str:
    """The limit that refused this request, as a bounded label."""
    scope = getattr(err.limit, "scope", None)  # set for the shared limits
    return LIMIT_LABELS.get(str(scope), LIMIT_LABELS.get(request.blueprint or "", "other"))


def _retry_after(limiter: Limiter) -> int:
    """Whole seconds until the window that refused the request resets (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))
