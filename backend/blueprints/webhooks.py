"""Wise's webhooks: ``POST /webhooks/wise``, verified over the raw body, stored, then applied."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, current_app, jsonify, request

from backend import extensions
from backend.db import get_session
from backend.errors import WebhookTooLarge
from backend.services import webhooks

bp = Blueprint("webhooks", __name__)

# Wise's events are a few hundred bytes; anything near this is not from Wise.
MAX_WEBHOOK_BYTES = 32 * 1024


@bp.post("/webhooks/wise")
def receive() -> Response:
    """Verify the signature, store the event, answer 200; apply it once the answer is sent."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        raise WebhookTooLarge()
    # The signature covers these exact bytes: never parse and re-serialize before checking.
    body = request.get_data(cache=False)
    if len(body) > MAX_WEBHOOK_BYTES:
        raise WebhookTooLarge()
    received = webhooks.accept(
        db=get_session(),
        settings=extensions.settings(),
        now=extensions.clock().now(),
        body=body,
        signature=request.headers.get("X-Signature-SHA256"),
        delivery_id=request.headers.get("X-Delivery-Id"),
        test=request.headers.get("X-Test-Notification", "").strip().lower() == "true",
    )
    response = jsonify(received=True, duplicate=received.duplicate)
    if received.pending and received.event_id is not None:
        # Wise needs the 200 within 5 s, and applying may wait on a locked link row: the server
        # runs this after the answer is written, and a failure leaves the event pending.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(partial(webhooks.apply_stored, app, received.event_id))
    return response
