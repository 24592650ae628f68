"""The least a webhook endpoint can do: answer 200 without reading, verifying or storing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bare_webhook", __name__)


@bp.post("/webhooks/wise")
def receive() -> tuple[str, int]:
    """Acknowledge the delivery."""
    return "", 200
