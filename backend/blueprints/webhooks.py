"""Wise's webhooks: ``POST /webhooks/wise``, verified over the raw body, stored, then applied."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend import extensions
from backend.api import json_response, read_body
from backend.errors import InvalidWebhookSignature, WebhookTooLarge
from backend.models import WebhookReceived, WiseWebhookDelivery
from backend.openapi import Param, contract
from backend.services import webhooks

bp = Blueprint("webhooks", __name__)

# Wise's events are a few hundred bytes; anything near this is not from Wise.
MAX_WEBHOOK_BYTES = 32 * 1024


@bp.post("/webhooks/wise")
@contract(
    tag="Wise webhooks",
    security="none",
    # A high per-address limit (ONBOARDING_RATE_LIMIT_WEBHOOKS) that Wise's bursts never reach.
    body=WiseWebhookDelivery,
    body_required=False,
    headers=(
        Param(
            "X-Signature-SHA256",
            str,
            "Base64 RSA-SHA256 signature of the raw body with Wise's webhook key.",
            required=True,
        ),
        Param("X-Delivery-Id", str, "Wise's id of this delivery; a retry gets a new one."),
        Param("X-Test-Notification", str, '"true" on Wise test deliveries (stored, not applied).'),
    ),
    replies={200: WebhookReceived},
    errors=(InvalidWebhookSignature, WebhookTooLarge),
    operation_id="receiveWiseWebhook",
)
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
        request_id=extensions.context().request_id,
    )
    # Applying happens in the worker: Wise needs the 200 within 5 s, and applying may wait on a
    # link row another transaction holds.
    return json_response(WebhookReceived(received=True, duplicate=received.duplicate))
