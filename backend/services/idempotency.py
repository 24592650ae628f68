"""``Idempotency-Key`` on ``POST /api/v1/onboarding-sessions``.

A partner whose create timed out retries it. With the same key and the same body it must get the
session it already created, not a second one with a second link in the customer's inbox. So the
first 201 answer is stored with the key, in the database, and any instance can replay it.

That answer holds the launch URL, and the session keeps only its token's SHA-256: the URL cannot
be rebuilt. It is therefore kept here as a Fernet ciphertext (like Wise tokens), and deleted once
``ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS`` have passed (``onboarding-kit sessions sweep``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlmodel import col, select

from backend.context import Context
from backend.errors import IdempotencyKeyReused, InvalidIdempotencyKey
from backend.models import IdempotencyRecord
from backend.models.schema import json_pattern
from backend.security import hash_secret

HEADER = "Idempotency-Key"
# Visible ASCII without spaces: UUIDs, ULIDs and base64 keys fit; nothing to escape anywhere.
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}\Z", re.ASCII)
KeyHeader = Annotated[str, Field(json_schema_extra={"pattern": json_pattern(KEY_RE)})]
KEY_DESCRIPTION = (
    "Same key and same body: the original answer again. Same key, other body: 422. "
    "1-255 visible ASCII characters."
)


@dataclass(frozen=True)
class IdempotencyKey:
    """A key as the partner sent it, scoped to their API key, with the fingerprint of its body."""

    api_key_hash: str
    key: str
    request_hash: str


def parse_key(
    *, ctx: Context, header: str | None, api_key: str, body: BaseModel
) -> IdempotencyKey | None:
    """Validate the header; None when the partner sent none."""
    if header is None:
        return None
    if not KEY_RE.match(header):
        raise InvalidIdempotencyKey(field=HEADER)
    # The body is fingerprinted in canonical JSON (key order and spacing do not matter) with an
    # HMAC under the service's secret key: it holds personal data, and a plain hash of a date of
    # birth and an email could be guessed.
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    fingerprint = hmac.new(
        ctx.settings.secret_key.encode(), canonical.encode(), hashlib.sha256
    ).hexdigest()
    return IdempotencyKey(hash_secret(api_key), header, fingerprint)


def replay(*, ctx: Context, key: IdempotencyKey) -> dict[str, Any] | None:
    """The original answer for this key, None when the key is new (or its time is up).

    Raises ``IdempotencyKeyReused`` when the key came with a different body.
    """
    db, now = ctx.db, ctx.now()
    row = db.exec(
        select(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.api_key_hash) == key.api_key_hash,
            col(IdempotencyRecord.key) == key.key,
        )
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    if row.expires_at <= now:
        # Expired: forget it, so the key may start a new session.
        db.exec(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.id) == row.id, col(IdempotencyRecord.expires_at) <= now
            )
        )
        db.commit()
        return None
    if not hmac.compare_digest(row.request_hash, key.request_hash):
        raise IdempotencyKeyReused(field=HEADER)
    answer: dict[str, Any] = json.loads(ctx.cipher.decrypt(row.response_ciphertext))
    return answer


def remember(*, ctx: Context, key: IdempotencyKey, session_id: str, answer: dict[str, Any]) -> None:
    """Add the record to the current transaction; the caller commits it with the session."""
    ttl = timedelta(seconds=ctx.settings.idempotency_key_ttl_seconds)
    now = ctx.now()
    ctx.db.add(
        IdempotencyRecord(
            api_key_hash=key.api_key_hash,
            key=key.key,
            request_hash=key.request_hash,
            session_id=session_id,
            response_ciphertext=ctx.cipher.encrypt(json.dumps(answer)),
            created_at=now,
            expires_at=now + ttl,
        )
    )


def purge_expired(*, ctx: Context) -> int:
    """Delete the records whose time is up; return how many."""
    result = ctx.db.exec(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= ctx.now())
    )
    ctx.db.commit()
    return int(result.rowcount or 0)
