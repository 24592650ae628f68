"""Prometheus metrics: what the kit counts, and how a scrape reads them.

Counters and histograms live in the process that counts. Under ``onboarding-kit serve``
gunicorn's worker processes share ``PROMETHEUS_MULTIPROC_DIR`` (the serve command sets it), so a
scrape of any of them adds up all of them. Queue depths and ages are read from the database at
scrape time, so they are right whichever process answers. ``/metrics`` on the web port needs
``ONBOARDING_METRICS_TOKEN``; the worker serves its own on ``ONBOARDING_WORKER_METRICS_ADDRESS``.

No label ever holds a token, an email, a customer or profile id, or anything else a customer
gave: labels are fixed vocabularies (statuses, reasons, outcomes, route templates).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.models import (
    EventStatus,
    NotificationStatus,
    PartnerNotification,
    WiseWebhookEvent,
)

if TYPE_CHECKING:
    from backend.context import Runtime

logger = logging.getLogger(__name__)

SESSIONS_CREATED = Counter(
    "onboarding_sessions_created_total", "Onboarding sessions created.", ["mode"]
)
SESSIONS_FINISHED = Counter(
    "onboarding_sessions_finished_total",
    "Onboarding sessions that reached a final status, by status and failure reason.",
    ["status", "reason"],
)
CALLBACK_SECONDS = Histogram(
    "onboarding_callback_duration_seconds",
    "Time to answer the OAuth return (code exchange and profile read included), by outcome: "
    "the session's status, or refused.",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20),
)
WISE_CALLS = Counter(
    "onboarding_wise_calls_total",
    "Calls to Wise, by endpoint and outcome.",
    ["endpoint", "outcome"],
)
WISE_CALL_SECONDS = Histogram(
    "onboarding_wise_call_duration_seconds",
    "Duration of calls to Wise, by endpoint.",
    ["endpoint"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20),
)
TOKEN_REFRESHES = Counter(
    "onboarding_token_refreshes_total", "User token refreshes at Wise, by outcome.", ["outcome"]
)
WEBHOOKS_RECEIVED = Counter(
    "onboarding_webhooks_received_total",
    "Wise webhook deliveries: stored, duplicate, test, invalid_signature.",
    ["outcome"],
)
WEBHOOKS_PROCESSED = Counter(
    "onboarding_webhooks_processed_total",
    "Stored Wise webhooks the worker handled: applied, duplicate_event, unsupported_event, "
    "parked, failed (retried later).",
    ["outcome"],
)
NOTIFICATIONS = Counter(
    "onboarding_notifications_total",
    "Partner notification deliveries: delivered, retried, parked.",
    ["outcome"],
)
RATE_LIMITED = Counter(
    "onboarding_rate_limited_total", "Requests refused by a rate limit, by limit.", ["limit"]
)

VERSION_SEGMENT = re.compile(r"^(v\d+|\d{4}Q\d)$")


def endpoint(method: str, path: str) -> str:
    """A Wise call's route template: ids, keys and query strings out (a bounded label)."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    out = []
    for index, part in enumerate(parts):
        after_app = index > 0 and parts[index - 1] == "applications"
        if after_app or (any(c.isdigit() for c in part) and not VERSION_SEGMENT.match(part)):
            part = "{id}"
        out.append(part)
    return f"{method} /" + "/".join(out)


class QueueCollector(Collector):
    """Depths and ages of the webhook and notification queues, read at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        """One query per queue; an unreachable database just leaves the gauges out."""
        try:
            with self.runtime.job() as ctx:
                now = ctx.now()
                webhooks = _depths(
                    ctx.db, col(WiseWebhookEvent.status), col(WiseWebhookEvent.received_at)
                )
                notes = _depths(
                    ctx.db, col(PartnerNotification.status), col(PartnerNotification.created_at)
                )
        except Exception:
            logger.warning("queue metrics unavailable: the database did not answer")
            return
        yield from _gauges("webhook", webhooks, now, EventStatus.PENDING, EventStatus.DEAD)
        yield from _gauges(
            "notification", notes, now, NotificationStatus.PENDING, NotificationStatus.DEAD
        )


def _depths(db: Session, status: Any, stamp: Any) -> dict[str, tuple[int, datetime | None]]:
    """Rows per status of a queue (pending and dead only), and the oldest of each."""
    rows = db.exec(
        select(status, func.count(), func.min(stamp))
        .where(status.in_(["pending", "dead"]))
        .group_by(status)
    ).all()
    db.commit()
    return {str(name): (int(count), oldest) for name, count, oldest in rows}


def _gauges(
    name: str,
    depths: dict[str, tuple[int, datetime | None]],
    now: datetime,
    pending: str,
    dead: str,
) -> Iterator[Metric]:
    count, oldest = depths.get(pending, (0, None))
    age = 0.0
    if oldest is not None:
        # SQLite hands back naive UTC from a bare aggregate; compare like with like.
        age = max(0.0, (now - oldest.replace(tzinfo=now.tzinfo)).total_seconds())
    yield GaugeMetricFamily(
        f"onboarding_{name}s_pending", f"Stored {name}s waiting for the worker.", value=count
    )
    yield GaugeMetricFamily(
        f"onboarding_{name}_oldest_pending_age_seconds",
        f"Age of the oldest {name} waiting for the worker (0 when none waits).",
        value=age,
    )
    yield GaugeMetricFamily(
        f"onboarding_{name}s_parked",
        f"{name.capitalize()}s parked after failing too often or being unusable.",
        value=depths.get(dead, (0, None))[0],
    )


def count_in_shared_files() -> None:
    """In a gunicorn worker: count in PROMETHEUS_MULTIPROC_DIR, so a scrape adds up every worker.

    prometheus-client picks where values live when it is first imported, which in ``serve`` is
    before the folder exists; every metric here has labels, so its values are made on first use,
    after this call.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import values

        values.ValueClass = values.MultiProcessValue()


def exposition(runtime: Runtime) -> bytes:
    """The text a scrape gets: every process's counters, and the queues from the database."""
    queues = CollectorRegistry()
    queues.register(QueueCollector(runtime))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    return generate_latest(counted) + generate_latest(queues)
