"""Retention: the worker deletes what the kit no longer needs, after configurable periods.

Kept only as long as it serves a purpose:

- stored Wise webhooks that are done, after ``ONBOARDING_RETENTION_WEBHOOK_DAYS`` (at least 15:
  Wise retries a delivery for two weeks, and the stored receipt is what deduplicates it);
- delivered partner notifications, after ``ONBOARDING_RETENTION_NOTIFICATION_DAYS``;
- finished onboarding sessions, after ``ONBOARDING_RETENTION_SESSION_DAYS`` (their personal data
  was already erased when they finished; the row still holds the customer id and return URL);
- pre-filled Wise accounts untouched for ``ONBOARDING_RETENTION_PREFILL_DAYS`` (an unclaimed
  registration code; a later prefill session of that customer falls back to log-in);
- Hosted KYC launch links, on the sessions' period (a launch link lives minutes; the row holds
  the customer id and return URL, like a session);
- camera-check reports, after ``ONBOARDING_RETENTION_CAMERA_CHECK_DAYS``;
- Idempotency-Key records once their own time is up.

Never purged: the audit trail of link changes (``wise_link_event``), links and their tokens,
transfer statuses, KYC reviews (they hold no personal data), and parked (``dead``) webhooks and
notifications, which wait for an operator.
Deletes run in batches, so no statement holds a table for long.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import col

from backend.context import Context
from backend.models import (
    CameraCheckReport,
    EventStatus,
    KycLaunch,
    NotificationStatus,
    OnboardingSession,
    PartnerNotification,
    PrefillAccount,
    SessionStatus,
    WiseWebhookEvent,
)
from backend.services import idempotency

BATCH = 1000
TERMINAL = [s.value for s in SessionStatus if s.is_terminal]


def purge(*, ctx: Context, keep_going: Callable[[], bool] = lambda: True) -> dict[str, int]:
    """Delete everything past its retention period; how many rows of each kind went."""
    settings, now = ctx.settings, ctx.now()

    def older(days: int) -> Any:
        return now - timedelta(days=days)

    webhook, note = WiseWebhookEvent, PartnerNotification
    rules: dict[str, tuple[Any, tuple[Any, ...]]] = {
        "webhook_events": (
            webhook.id,
            (
                col(webhook.status) == EventStatus.DONE,
                col(webhook.received_at) < older(settings.retention_webhook_days),
            ),
        ),
        "notifications": (
            note.id,
            (
                col(note.status) == NotificationStatus.DELIVERED,
                col(note.delivered_at) < older(settings.retention_notification_days),
            ),
        ),
        "sessions": (
            OnboardingSession.id,
            (
                col(OnboardingSession.status).in_(TERMINAL),
                col(OnboardingSession.completed_at) < older(settings.retention_session_days),
            ),
        ),
        "kyc_launches": (
            KycLaunch.id,
            (col(KycLaunch.created_at) < older(settings.retention_session_days),),
        ),
        "prefill_accounts": (
            PrefillAccount.id,
            (col(PrefillAccount.updated_at) < older(settings.retention_prefill_days),),
        ),
        "camera_checks": (
            CameraCheckReport.id,
            (col(CameraCheckReport.received_at) < older(settings.retention_camera_check_days),),
        ),
    }
    done = {name: _delete(ctx, key, where, keep_going) for name, (key, where) in rules.items()}
    done["idempotency_keys"] = idempotency.purge_expired(ctx=ctx)
    return done


def _delete(ctx: Context, key: Any, where: tuple[Any, ...], keep_going: Callable[[], bool]) -> int:
    """Delete matching rows a batch at a time, each batch its own short transaction."""
    table = key.class_
    deleted = 0
    while keep_going():
        batch = select(key).where(*where).limit(BATCH).scalar_subquery()
        result = ctx.db.exec(delete(table).where(col(key).in_(batch)))
        ctx.db.commit()
        deleted += int(result.rowcount or 0)
        if (result.rowcount or 0) < BATCH:
            break
    return deleted
