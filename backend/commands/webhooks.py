"""``onboarding-kit webhooks``: Wise application subscriptions and pending webhook events."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from backend import extensions
from backend.app import create_app
from backend.db import get_session
from backend.services import subscriptions
from backend.services import webhooks as webhook_events
from backend.wise import WiseError

T = TypeVar("T")


@click.group()
def webhooks() -> None:
    """Wise webhook subscriptions (reads ONBOARDING_WISE_* variables)."""


@webhooks.command()
@click.option(
    "--url",
    required=True,
    help="The kit's public webhook URL, e.g. https://kit.example/webhooks/wise",
)
def subscribe(url: str) -> None:
    """Subscribe URL to profiles#verification-state-change and transfers#state-change."""
    with create_app().app_context():
        created = _call(
            lambda: subscriptions.subscribe(
                wise=extensions.wise(), settings=extensions.settings(), url=url
            )
        )
    for item in created:
        click.echo(f"{item.get('id')}  {item.get('trigger_on')}  {_url(item)}")


@webhooks.command("list")
def list_() -> None:
    """List the application's subscriptions."""
    with create_app().app_context():
        found = _call(
            lambda: subscriptions.list_subscriptions(
                wise=extensions.wise(), settings=extensions.settings()
            )
        )
    for item in found:
        click.echo(f"{item.get('id')}  {item.get('trigger_on')}  {_url(item)}")


@webhooks.command()
@click.argument("subscription_id")
def delete(subscription_id: str) -> None:
    """Delete the subscription SUBSCRIPTION_ID."""
    with create_app().app_context():
        _call(
            lambda: subscriptions.delete_subscription(
                wise=extensions.wise(),
                settings=extensions.settings(),
                subscription_id=subscription_id,
            )
        )
    click.echo(f"deleted {subscription_id}")


@webhooks.command()
def process() -> None:
    """Apply stored webhook events whose processing failed or was interrupted (run every minute)."""
    with create_app().app_context():
        # Partner notifications these events cause wait in the outbox for `notifications deliver`.
        report = webhook_events.process_pending(
            db=get_session(), settings=extensions.settings(), now=extensions.clock().now()
        )
    click.echo(f"processed {report.processed} pending event(s), {report.failed} failed")
    if report.failed:
        raise SystemExit(1)


def _call(action: Callable[[], T]) -> T:
    """Run a Wise call, turning setup and Wise errors into a clean command failure."""
    try:
        return action()
    except subscriptions.SubscriptionSetupError as exc:
        raise click.ClickException(str(exc)) from None
    except WiseError as exc:
        raise click.ClickException(f"Wise refused: {exc}") from None


def _url(item: dict[str, object]) -> str:
    delivery = item.get("delivery")
    return str(delivery.get("url")) if isinstance(delivery, dict) else ""
