"""Wise's webhooks: ``POST /webhooks/wise``, verified over the raw body, stored, then applied."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from backend import extensions
from backend.db import get_session
from backend.errors import InvalidWebhookSignature, WebhookTooLarge
from backend.services import webhooks
from backend.wise import signatures

logger = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

# Wise's events are a few hundred bytes; anything near this is not from Wise.
MAX_WEBHOOK_BYTES = 32 * 1024


@bp.post("/webhooks/wise")
def receive() -> Response:
    """Verify the signature, store the event, answer 200; apply it after the commit."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        raise WebhookTooLarge()
    # The signature covers these exact bytes: never parse and re-serialize before checking.
    body = request.get_data(cache=False)
    if len(body) > MAX_WEBHOOK_BYTES:
        raise WebhookTooLarge()
    settings = extensions.settings()
    header = request.headers.get("X-Signature-SHA256")
    if not signatures.verify(body, header, settings.lifecycle.wise_webhook_public_keys):
        raise InvalidWebhookSignature()
    db, now = get_session(), extensions.clock().now()
    test = request.headers.get("X-Test-Notification", "").strip().lower() == "true"
    received = webhooks.receive(
        db=db, now=now, body=body, delivery_id=request.headers.get("X-Delivery-Id"), test=test
    )
    if received.event_id is not None and not test:
        # Stored and committed: from here on a failure loses nothing (process_pending retries).
        try:
            webhooks.process(db=db, settings=settings, now=now, event_id=received.event_id)
        except Exception:
            db.rollback()
            logger.exception("wise webhook stored but not applied yet")
    return jsonify(received=True, duplicate=received.duplicate)
