"""``GET /metrics``: Prometheus metrics, for a scraper holding ``ONBOARDING_METRICS_TOKEN``.

Metrics are not public: without the setting the route does not exist (404), and a scrape must
send ``Authorization: Bearer <token>``. The worker serves the same text on its own address
(``ONBOARDING_WORKER_METRICS_ADDRESS``), which should be reachable from the scraper only.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from backend import extensions
from backend.errors import InvalidApiKey, MissingApiKey, NotFound
from backend.extensions import runtime_of
from backend.metrics import exposition
from backend.security import matches_any

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """Every process's counters and the queues' depths, in Prometheus's text format."""
    token = extensions.settings().metrics_token
    if not token:
        raise NotFound()
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise MissingApiKey("Send the metrics token as 'Authorization: Bearer <token>'.")
    # Compared in constant time, like the partner API keys.
    if not matches_any(presented.strip(), (token,)):
        raise InvalidApiKey("The metrics token is not valid.")
    return Response(exposition(runtime_of(current_app)), mimetype=CONTENT_TYPE_LATEST)
