"""Webhook intake: verify a delivery over its raw bytes, store it in one statement, answer.

Wise retries a delivery for two weeks with a new ``X-Delivery-Id`` each time but the same body,
and sends one copy per subscription. So a delivery is stored under a unique delivery id and a
unique body hash: a retry of a stored delivery inserts nothing and is answered as a duplicate.
Storing is one ``INSERT ... ON CONFLICT DO NOTHING``, so the answer never waits on anything but
that write: applying is the worker's job (``backend.services.webhooks.apply``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import Table, func, insert, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend import metrics
from backend.context import Context
from backend.errors import InvalidWebhookSignature
from backend.models import EventStatus, WiseWebhookEvent
from backend.services.webhooks.events import envelope
from backend.wise import signatures

DELIVERY_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,64}\Z", re.ASCII)
TABLE: Table = WiseWebhookEvent.__table__  # type: ignore[attr-defined]
# The one statement of an intake, built once per dialect (the values come as parameters):
# building and cache-keying it per delivery cost more than executing it.
STORE = {
    name: build(TABLE).on_conflict_do_nothing().returning(TABLE.c.id)
    for name, build in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


@dataclass(frozen=True)
class Received:
    """The outcome of storing a delivery."""

    event_id: int | None
    duplicate: bool


def accept(
    *,
    ctx: Context,
    body: bytes,
    signature: str | None,
    delivery_id: str | None,
    test: bool,
    request_id: str | None = None,
) -> Received:
    """Verify a delivery over its raw bytes and store it; the worker applies it.

    Raises InvalidWebhookSignature (nothing stored) unless a configured key signed ``body``.
    """
    # The signature covers these exact bytes: they are never parsed before the check.
    if not signatures.verify(body, signature, ctx.settings.wise_webhook_public_keys):
        metrics.WEBHOOKS_RECEIVED.labels(outcome="invalid_signature").inc()
        raise InvalidWebhookSignature()
    received = receive(
        ctx=ctx, body=body, delivery_id=delivery_id, test=test, request_id=request_id
    )
    outcome = "duplicate" if received.duplicate else "test" if test else "stored"
    metrics.WEBHOOKS_RECEIVED.labels(outcome=outcome).inc()
    return received


def receive(
    *,
    ctx: Context,
    body: bytes,
    delivery_id: str | None,
    test: bool,
    request_id: str | None = None,
) -> Received:
    """Store a verified delivery and commit; a repeated delivery id or body is a duplicate."""
    now = ctx.now()
    event = envelope(body)
    values = {
        "delivery_id": delivery_id if delivery_id and DELIVERY_ID_RE.match(delivery_id) else None,
        # A test notification (X-Test-Notification: true, a header Wise's signature does not
        # cover) stays out of the deduplication ledger, so it can never suppress the real
        # delivery of the same body. It has no business effect: it is stored as done.
        "body_sha256": None if test else hashlib.sha256(body).hexdigest(),
        "event_key": None if test else event.event_key,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "subscription_id": event.subscription_id,
        "test": test,
        "body": body,
        "received_at": now,
        "request_id": request_id,
        "status": EventStatus.DONE if test else EventStatus.PENDING,
        "next_attempt_at": now,
        "processed_at": now if test else None,
        "outcome": "test_notification" if test else None,
        "attempts": 0,
    }
    db = ctx.db
    dialect = db.get_bind().dialect.name
    if dialect in STORE:
        stored = db.execute(STORE[dialect], values).scalar()
        db.commit()
        return Received(event_id=stored, duplicate=stored is None)
    try:
        stored = db.execute(insert(TABLE).returning(TABLE.c.id), values).scalar()
        db.commit()
    except IntegrityError:
        db.rollback()
        return Received(event_id=None, duplicate=True)
    return Received(event_id=stored, duplicate=False)


def last_stored_id(*, ctx: Context) -> int:
    """The id of the newest stored delivery (0 when none): deliveries after it are newer."""
    newest = ctx.db.exec(select(func.max(WiseWebhookEvent.id))).one()
    ctx.db.commit()
    return int(newest or 0)


def received_test(
    *, ctx: Context, subscription_id: str, after_id: int, delivery_ids: list[str]
) -> WiseWebhookEvent | None:
    """A test notification stored after ``after_id`` for that subscription, if one arrived.

    Only verified deliveries are ever stored, so finding one means Wise reached the kit and
    the signature checked out. It is matched by the delivery id Wise named or by the
    subscription in its body (Wise gives each retry a new delivery id).
    """
    E = WiseWebhookEvent
    found = ctx.db.exec(
        select(E)
        .where(
            col(E.id) > after_id,
            col(E.test).is_(True),
            or_(col(E.subscription_id) == subscription_id, col(E.delivery_id).in_(delivery_ids)),
        )
        .order_by(col(E.id))
    ).first()
    ctx.db.commit()
    return found
