"""Webhook subscriptions: application level (client-credentials token) and profile level.

Delivery URLs follow Wise's rules: https on port 443, a domain name (no IP address), no query
string. The demo-only switch ``demo_allow_loopback_http_webhooks`` also lets loopback URLs in
(plain http, any port), so a kit on localhost can receive.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request

from .auth import application_token, granted_profile, user_token
from .errors import forbidden, not_null, validation_error
from .models import Subscription
from .state import Emulator, emulator
from .tokens import iso_seconds
from .webhooks import EVENT_TYPES, SCHEMA_VERSION, TRANSFER_EVENT

bp = Blueprint("wise_webhooks", __name__)


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    """Return a subscription as Wise's API does."""
    return {
        "id": subscription.id,
        "name": subscription.name,
        "trigger_on": subscription.trigger_on,
        "delivery": {"version": subscription.version, "url": subscription.url},
        "scope": {"domain": subscription.scope_domain, "id": subscription.scope_id},
        "created_by": {"type": subscription.created_by_type, "id": subscription.created_by_id},
        "created_at": iso_seconds(subscription.created_at),
    }


def parse_subscription(allowed_events: tuple[str, ...]) -> tuple[str, str, str, str]:
    """Validate a create body; return name, trigger_on, version and url."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise not_null("name")
    delivery = data.get("delivery")
    for path, value in (
        ("name", data.get("name")),
        ("trigger_on", data.get("trigger_on")),
        ("delivery", delivery),
    ):
        if value in (None, ""):
            raise not_null(path)
    if not isinstance(delivery, dict):
        raise validation_error(400, "INVALID", "must be an object", "delivery")
    for key in ("version", "url"):
        if not delivery.get(key):
            raise not_null(f"delivery.{key}")
    trigger_on, version, url = (
        str(data["trigger_on"]),
        str(delivery["version"]),
        str(delivery["url"]),
    )
    if trigger_on not in allowed_events:
        raise validation_error(
            422, "INVALID", f"Unsupported trigger_on: {trigger_on}", "trigger_on", [trigger_on]
        )
    if version != SCHEMA_VERSION:
        raise validation_error(
            422, "INVALID", f"Only schema version {SCHEMA_VERSION} is emulated", "delivery.version"
        )
    problem = webhook_url_problem(url)
    if problem:
        raise validation_error(422, "INVALID", problem, "delivery.url", [url])
    return str(data["name"]), trigger_on, version, url


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def webhook_url_problem(url: str) -> str | None:
    """Why Wise would refuse ``url`` as a delivery URL, or None.

    Wise: "Has a valid domain name (IPs are disallowed)", "Listens to HTTPS requests on port
    443", "Does not include any query arguments in the URL".
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Invalid webhook URL"
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.fragment:
        return "Invalid webhook URL"
    if parts.query:
        return "Webhook URL must not contain a query string"
    loopback = host in LOOPBACK_HOSTS or host.endswith(".localhost")
    if loopback and emulator().store.switches.demo_allow_loopback_http_webhooks:
        return None
    if parts.scheme != "https":
        return "Webhook URL must use HTTPS"
    if port not in (None, 443):
        return "Webhook URL must listen on port 443"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return "Webhook URL must have a domain name; IP addresses are not allowed"
    if "." not in host:
        return "Webhook URL must have a valid domain name"
    return None


def save(state: Emulator, subscription: Subscription) -> Response:
    """Store a new subscription and render it."""
    with state.store.lock:
        state.store.subscriptions[subscription.id] = subscription
    return jsonify(subscription_json(subscription))


def own_subscription(domain: str, scope_id: str, subscription_id: str) -> Subscription:
    """Return a subscription of this scope, or Wise's 404."""
    store = emulator().store
    with store.lock:
        found = store.subscriptions.get(subscription_id)
    if found is None or found.scope_domain != domain or found.scope_id != scope_id:
        raise validation_error(404, "NOT_FOUND", "Subscription not found", "subscriptionId")
    return found


def application_scope(client_key: str) -> str:
    """Check that the application token belongs to the client with ``client_key``."""
    token = application_token()
    client = emulator().store.clients.get(token.client_id)
    if client is None or client.client_key != client_key:
        raise forbidden("This token belongs to another application")
    return token.client_id


@bp.post("/v3/applications/<client_key>/subscriptions")
def create_application_subscription(client_key: str) -> Response:
    """Subscribe the application to an event."""
    client_id = application_scope(client_key)
    name, trigger_on, version, url = parse_subscription(EVENT_TYPES)
    state = emulator()
    return save(
        state,
        Subscription(
            id=str(uuid.uuid4()),
            name=name,
            trigger_on=trigger_on,
            url=url,
            version=version,
            scope_domain="application",
            scope_id=client_key,
            created_by_type="application",
            created_by_id=client_id,
            created_at=state.store.now(),
            client_id=client_id,
        ),
    )


@bp.get("/v3/applications/<client_key>/subscriptions")
def list_application_subscriptions(client_key: str) -> Response:
    """List the application's subscriptions."""
    application_scope(client_key)
    store = emulator().store
    with store.lock:
        found = [
            subscription_json(s)
            for s in store.subscriptions.values()
            if s.scope_domain == "application" and s.scope_id == client_key
        ]
    return jsonify(found)


@bp.get("/v3/applications/<client_key>/subscriptions/<subscription_id>")
def get_application_subscription(client_key: str, subscription_id: str) -> Response:
    """Return one application subscription."""
    application_scope(client_key)
    return jsonify(subscription_json(own_subscription("application", client_key, subscription_id)))


@bp.delete("/v3/applications/<client_key>/subscriptions/<subscription_id>")
def delete_application_subscription(client_key: str, subscription_id: str) -> Response:
    """Delete an application subscription (No Content)."""
    application_scope(client_key)
    found = own_subscription("application", client_key, subscription_id)
    store = emulator().store
    with store.lock:
        store.subscriptions.pop(found.id, None)
    return Response(status=204)


@bp.post("/v3/applications/<client_key>/subscriptions/<subscription_id>/test-notifications")
def test_notification(client_key: str, subscription_id: str) -> Response:
    """Send a test notification to the subscription's URL."""
    application_scope(client_key)
    found = own_subscription("application", client_key, subscription_id)
    return jsonify([emulator().webhooks.send_test(found)])


@bp.post("/v3/profiles/<int:profile_id>/subscriptions")
def create_profile_subscription(profile_id: int) -> Response:
    """Subscribe one profile to transfer events (verification events are application-only)."""
    token, user = user_token()
    granted_profile(token, profile_id)
    name, trigger_on, version, url = parse_subscription((TRANSFER_EVENT,))
    state = emulator()
    return save(
        state,
        Subscription(
            id=str(uuid.uuid4()),
            name=name,
            trigger_on=trigger_on,
            url=url,
            version=version,
            scope_domain="profile",
            scope_id=str(profile_id),
            created_by_type="user",
            created_by_id=str(user.id),
            created_at=state.store.now(),
            client_id=token.client_id,
        ),
    )


@bp.get("/v3/profiles/<int:profile_id>/subscriptions")
def list_profile_subscriptions(profile_id: int) -> Response:
    """List a profile's subscriptions."""
    token, _ = user_token()
    granted_profile(token, profile_id)
    store = emulator().store
    with store.lock:
        found = [
            subscription_json(s)
            for s in store.subscriptions.values()
            if s.scope_domain == "profile" and s.scope_id == str(profile_id)
        ]
    return jsonify(found)


@bp.get("/v3/profiles/<int:profile_id>/subscriptions/<subscription_id>")
def get_profile_subscription(profile_id: int, subscription_id: str) -> Response:
    """Return one profile subscription."""
    token, _ = user_token()
    granted_profile(token, profile_id)
    return jsonify(subscription_json(own_subscription("profile", str(profile_id), subscription_id)))


@bp.delete("/v3/profiles/<int:profile_id>/subscriptions/<subscription_id>")
def delete_profile_subscription(profile_id: int, subscription_id: str) -> Response:
    """Delete a profile subscription (No Content)."""
    token, _ = user_token()
    granted_profile(token, profile_id)
    found = own_subscription("profile", str(profile_id), subscription_id)
    store = emulator().store
    with store.lock:
        store.subscriptions.pop(found.id, None)
    return Response(status=204)
