"""Liveness and readiness probes for load balancers."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from backend import db
from backend.extensions import runtime_of

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer while the process is alive; checks nothing else on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Answer 200 while the database is reachable and migrated, 503 otherwise."""
    status = db.schema_status(runtime_of(current_app).engine)
    return jsonify(status=status), 200 if status == "ok" else 503
