"""Wise application webhook subscriptions for the kit's ``/webhooks/wise`` endpoint.

Application subscriptions need a client-credentials token and the client key Wise gave the
partner (``ONBOARDING_WISE_CLIENT_KEY``). ``profiles#verification-state-change`` only exists at
application level, which is why the kit subscribes there for both event types.
"""

from __future__ import annotations

from typing import Any

from backend.context import Context
from backend.settings import Settings

EVENT_TYPES = ("profiles#verification-state-change", "transfers#state-change")


class SubscriptionSetupError(ValueError):
    """The kit cannot manage subscriptions as configured; the message says what to set."""


def subscribe(*, ctx: Context, url: str) -> list[dict[str, Any]]:
    """Subscribe ``url`` to both event types; existing identical subscriptions are kept.

    Returns one subscription per event type (created or already there), so running it again
    is harmless.
    """
    wise, client_key = ctx.wise, _client_key(ctx.settings)
    token = wise.client_credentials_token().access_token
    existing = wise.list_subscriptions(app_token=token, client_key=client_key)
    result = []
    for event_type in EVENT_TYPES:
        same = next((s for s in existing if _matches(s, event_type, url)), None)
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


def _matches(subscription: dict[str, Any], event_type: str, url: str) -> bool:
    delivery = subscription.get("delivery")
    return (
        subscription.get("trigger_on") == event_type
        and isinstance(delivery, dict)
        and delivery.get("url") == url
    )
