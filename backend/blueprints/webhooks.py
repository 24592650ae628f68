"""Wise's webhooks: ``POST /webhooks/wise``, verified over the raw body, stored, then applied."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from backend import extensions
from backend.api import read_body
from backend.errors import WebhookTooLarge
from backend.services import webhooks

bp = Blueprint("webhooks", __name__)

# Wise's events are a few hundred bytes; anything near this is not from Wise.
MAX_WEBHOOK_BYTES = 32 * 1024


@bp.post("/webhooks/wise")
def receive() -> Response:
    """Verify the signature, store the event and answer 200; the worker applies it."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        raise WebhookTooLarge()
    # The signature covers these exact bytes: never parse and re-serialize before checking.
    body = read_body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise WebhookTooLarge()
    received = webhooks.accept(
        ctx=extensions.context(),
        body=body,
        signature=request.headers.get("X-Signature-SHA256"),
        delivery_id=request.headers.get("X-Delivery-Id"),
        test=request.headers.get("X-Test-Notification", "").strip().lower() == "true",
    )
    # Applying happens in the worker: Wise needs the 200 within 5 s, and applying may wait on a
    # link row another transaction holds.
    return jsonify(received=True, duplicate=received.duplicate)
