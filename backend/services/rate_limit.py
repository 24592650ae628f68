"""Fixed-window rate limits counted in the database, so every instance shares one count."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.context import Context
from backend.models import RateLimitWindow

W = RateLimitWindow


@dataclass(frozen=True)
class Decision:
    """Whether a request may proceed, and when to retry if not."""

    allowed: bool
    retry_after_seconds: int


def client_hash(secret: str, client: str) -> str:
    """Keyed hash of a client address: limits need equality, not the address."""
    return hmac.new(secret.encode(), client.encode(), hashlib.sha256).hexdigest()


def hit(*, ctx: Context, bucket: str, client: str, limit: int, window_seconds: int) -> Decision:
    """Count one request of ``client`` in ``bucket``; refuse once ``limit`` is reached.

    The increment is a conditional UPDATE (``count < limit``) and the first request of a window
    an INSERT guarded by a unique constraint, so concurrent requests on any number of instances
    never exceed the limit.
    """
    db, now = ctx.db, ctx.now()
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)
    retry_after = int((start + timedelta(seconds=window_seconds) - now).total_seconds()) + 1
    where = (col(W.bucket) == bucket, col(W.client_hash) == client, col(W.window_start) == start)
    for _ in range(3):
        counted = db.exec(
            update(W).where(*where, col(W.count) < limit).values(count=W.count + 1)
        ).rowcount
        if counted:
            db.commit()
            return Decision(True, 0)
        if db.exec(select(W.id).where(*where)).first() is not None:
            db.rollback()
            return Decision(False, retry_after)
        try:
            db.add(W(bucket=bucket, client_hash=client, window_start=start, count=1))
            # Old windows are useless; dropping them here keeps the table small without a job.
            db.exec(
                delete(W).where(col(W.window_start) < start - timedelta(seconds=window_seconds))
            )
            db.commit()
            return Decision(True, 0)
        except IntegrityError:
            # Another request opened this window first; count against it.
            db.rollback()
    return Decision(False, retry_after)
