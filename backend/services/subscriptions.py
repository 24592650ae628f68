"""Wise application webhook subscriptions for the kit's ``/webhooks/wise`` endpoint.

Application subscriptions need a client-credentials token and the client key Wise gave the
partner (``ONBOARDING_WISE_CLIENT_KEY``). ``profiles#verification-state-change`` only exists at
application level, which is why the kit subscribes there for every event type.

Wise delivers only to URLs that have "a valid domain name (IPs are disallowed)", listen to
"HTTPS requests on port 443" and include no "query arguments"
(<https://docs.wise.com/guides/developer/webhooks>); ``subscribe`` refuses any other URL with a
message saying why, before Wise is asked.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from backend.context import Context
from backend.settings import Settings

EVENT_TYPES = (
    "profiles#verification-state-change",
    "transfers#state-change",
    "users#state-change",
    # Required for Hosted KYC; application level only.
    "kyc-reviews#state-change",
)


class SubscriptionSetupError(ValueError):
    """The kit cannot manage subscriptions as configured; the message says what to set."""


def webhook_url_problems(url: str) -> list[str]:
    """What makes ``url`` a URL Wise would refuse to deliver to (empty when none)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ["it is not a valid URL"]
    host = parts.hostname or ""
    problems = []
    if parts.scheme != "https":
        problems.append("Wise delivers only over https://")
    if not host:
        return [*problems, "it has no host"]
    try:
        ipaddress.ip_address(host)
        problems.append(f"{host} is an IP address; Wise needs a domain name")
    except ValueError:
        if "." not in host:
            problems.append(f"{host} is not a public domain name")
    if port not in (None, 443):
        problems.append(f"port {port}: Wise delivers only to port 443")
    if parts.query:
        problems.append("it has a query string, which Wise does not allow")
    if parts.fragment or parts.username or parts.password:
        problems.append("it has a fragment or credentials in it")
    return problems


def check_webhook_url(url: str) -> None:
    """Refuse a URL Wise would refuse, naming every reason."""
    problems = webhook_url_problems(url)
    if problems:
        raise SubscriptionSetupError(
            f"Wise would refuse {url!r} as a webhook URL: " + "; ".join(problems) + ". Use the "
            "kit's public https address on port 443, e.g. https://onboarding.yourbank.example/"
            "webhooks/wise"
        )


def subscribe(*, ctx: Context, url: str, allow_loopback_http: bool = False) -> list[dict[str, Any]]:
    """Subscribe ``url`` to every event type the kit handles; identical ones are kept.

    Returns one subscription per event type (created or already there), so running it again
    is harmless. ``allow_loopback_http`` is for the demo and its emulator only: it lets a
    ``http://localhost`` URL through, which Wise itself never accepts.
    """
    if not (allow_loopback_http and _loopback(url)):
        check_webhook_url(url)
    wise, client_key = ctx.wise, _client_key(ctx.settings)
    token = wise.client_credentials_token().access_token
    existing = wise.list_subscriptions(app_token=token, client_key=client_key)
    result = []
    for event_type in EVENT_TYPES:
        same = next((s for s in existing if matches(s, event_type, url)), None)
        result.append(
            same
            or wise.create_subscription(
                app_token=token,
                client_key=client_key,
                name=f"onboarding-kit {event_type}",
                trigger_on=event_type,
                url=url,
            )
        )
    return result


def list_subscriptions(*, ctx: Context) -> list[dict[str, Any]]:
    """Return the application's subscriptions."""
    client_key = _client_key(ctx.settings)
    token = ctx.wise.client_credentials_token().access_token
    return ctx.wise.list_subscriptions(app_token=token, client_key=client_key)


def send_test_notification(*, ctx: Context, subscription_id: str) -> list[str]:
    """Ask Wise to send a test notification to one subscription; the delivery ids it names."""
    client_key = _client_key(ctx.settings)
    token = ctx.wise.client_credentials_token().access_token
    deliveries = ctx.wise.send_test_notification(
        app_token=token, client_key=client_key, subscription_id=subscription_id
    )
    return [str(d["delivery_id"]) for d in deliveries if d.get("delivery_id")]


def delete_subscription(*, ctx: Context, subscription_id: str) -> None:
    """Delete one of the application's subscriptions."""
    client_key = _client_key(ctx.settings)
    token = ctx.wise.client_credentials_token().access_token
    ctx.wise.delete_subscription(
        app_token=token, client_key=client_key, subscription_id=subscription_id
    )


def _client_key(settings: Settings) -> str:
    if not settings.wise_configured:
        raise SubscriptionSetupError(
            "set ONBOARDING_WISE_CLIENT_ID and ONBOARDING_WISE_CLIENT_SECRET first"
        )
    key = settings.wise_client_key
    if not key:
        raise SubscriptionSetupError(
            "set ONBOARDING_WISE_CLIENT_KEY to the client key Wise gave you with your API "
            "credentials"
        )
    return key


def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")


def matches(subscription: dict[str, Any], event_type: str, url: str) -> bool:
    """Whether ``subscription`` delivers ``event_type`` to exactly ``url``."""
    delivery = subscription.get("delivery")
    return (
        subscription.get("trigger_on") == event_type
        and isinstance(delivery, dict)
        and delivery.get("url") == url
    )
