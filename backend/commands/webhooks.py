"""``onboarding-kit webhooks``: Wise application subscriptions and pending webhook events."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import click

from backend.commands import command_runtime
from backend.commands.queues import list_parked, put_back, when
from backend.services import subscriptions
from backend.services import webhooks as webhook_events
from backend.wise import WiseError, WiseOAuthError

T = TypeVar("T")


@click.group()
def webhooks() -> None:
    """Wise webhook subscriptions (reads ONBOARDING_WISE_* variables)."""


@webhooks.command()
@click.option(
    "--url",
    required=True,
    help="The kit's public webhook URL, e.g. https://kit.example/webhooks/wise (https, port 443, "
    "a domain name, no query string: Wise refuses anything else)",
)
def subscribe(url: str) -> None:
    """Subscribe URL to every Wise event the kit handles (application subscriptions)."""
    with command_runtime(migrated=False) as runtime, runtime.job() as ctx:
        created = _call(lambda: subscriptions.subscribe(ctx=ctx, url=url))
    for item in created:
        click.echo(f"{item.get('id')}  {item.get('trigger_on')}  {_url(item)}")


@webhooks.command("list")
def list_() -> None:
    """List the application's subscriptions."""
    with command_runtime(migrated=False) as runtime, runtime.job() as ctx:
        found = _call(lambda: subscriptions.list_subscriptions(ctx=ctx))
    for item in found:
        click.echo(f"{item.get('id')}  {item.get('trigger_on')}  {_url(item)}")


@webhooks.command()
@click.argument("subscription_id")
def delete(subscription_id: str) -> None:
    """Delete the subscription SUBSCRIPTION_ID."""
    with command_runtime(migrated=False) as runtime, runtime.job() as ctx:
        _call(lambda: subscriptions.delete_subscription(ctx=ctx, subscription_id=subscription_id))
    click.echo(f"deleted {subscription_id}")


@webhooks.command("test")
@click.argument("subscription_id")
@click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds to wait for the notification (Wise queues it like a real delivery).",
)
def test_(subscription_id: str, timeout: float) -> None:
    """Have Wise send a test notification to SUBSCRIPTION_ID; check that the kit verified it.

    Run it where the kit's database is reachable: it waits until the delivery is stored (only
    deliveries whose signature verifies are) and exits 1 if none arrives in time.
    """
    with command_runtime() as runtime, runtime.job() as ctx:
        after = webhook_events.last_stored_id(ctx=ctx)
        delivery_ids = _call(
            lambda: subscriptions.send_test_notification(ctx=ctx, subscription_id=subscription_id)
        )
        click.echo(f"Wise queued a test notification: {', '.join(delivery_ids) or '(no id)'}")
        deadline = time.monotonic() + timeout
        while True:
            found = webhook_events.received_test(
                ctx=ctx, subscription_id=subscription_id, after_id=after, delivery_ids=delivery_ids
            )
            if found is not None:
                click.echo(
                    f"received and verified: delivery {found.delivery_id or '(no id)'} "
                    f"({found.event_type}) at {when(found.received_at)}"
                )
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.5)
    raise click.ClickException(
        f"no verified test notification arrived within {timeout:g} s. Either Wise could not "
        "reach the subscription's URL (https on port 443, a public domain, the kit running), "
        "or the signature did not verify (check ONBOARDING_WISE_ENVIRONMENT and "
        "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS); the kit logs a 401 for a bad signature"
    )


@webhooks.command()
def process() -> None:
    """Apply stored webhook events now, once (the worker does this continuously)."""
    with command_runtime() as runtime, runtime.job() as ctx:
        # Partner notifications these events cause wait in the outbox for the worker.
        report = webhook_events.process_pending(ctx=ctx)
    click.echo(f"processed {report.processed} pending event(s), {report.failed} failed")
    if report.failed:
        raise SystemExit(1)


@webhooks.command()
def failed() -> None:
    """List parked events (unreadable, invalid, or failing too often) with their reason."""
    list_parked(
        lambda ctx: webhook_events.failed(ctx=ctx),
        lambda row: (
            f"{row.id}  {when(row.received_at)}  {row.event_type or '(unreadable)'}  "
            f"attempts {row.attempts}  {row.last_error or row.outcome or ''}"
        ),
        "webhook events",
    )


@webhooks.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Retry every parked event.")
def retry(ids: tuple[int, ...], every: bool) -> None:
    """Put parked events back in the queue (after fixing what parked them)."""
    put_back(
        lambda ctx, chosen: webhook_events.retry(ctx=ctx, ids=chosen), ids, every, "webhook events"
    )


def _call(action: Callable[[], T]) -> T:
    """Run a Wise call, turning setup and Wise errors into a clean command failure."""
    try:
        return action()
    except subscriptions.SubscriptionSetupError as exc:
        raise click.ClickException(str(exc)) from None
    except WiseOAuthError as exc:
        if exc.status in (400, 401, 403):
            raise click.ClickException(
                f"Wise refused the client credentials ({exc.error}): check "
                "ONBOARDING_WISE_CLIENT_ID and ONBOARDING_WISE_CLIENT_SECRET, and that "
                "ONBOARDING_WISE_API_URL is the environment they belong to"
            ) from None
        raise click.ClickException(f"Wise refused: {exc}") from None
    except WiseError as exc:
        raise click.ClickException(f"Wise refused: {exc}") from None


def _url(item: dict[str, object]) -> str:
    delivery = item.get("delivery")
    return str(delivery.get("url")) if isinstance(delivery, dict) else ""
