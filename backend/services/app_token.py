"""The client-credentials token, shared by every process through the database.

Wise's application tokens live 12 hours. The kit keeps one per Wise environment and client, as a
Fernet ciphertext, and uses it until ``ONBOARDING_WISE_APP_TOKEN_REFRESH_MARGIN_SECONDS`` before it
expires. Then one process takes a short lease on the row (compare-and-set) and fetches the next
token; the others keep using the current one while it is still valid, or wait for the new one. So
a burst of launches never makes a burst of token requests.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backend.context import Context
from backend.leases import Leasable, new_owner
from backend.models import WiseAppToken
from backend.settings import Settings
from backend.wise.retry import Budget

FETCH_LEASE = Leasable(WiseAppToken)
# Long enough for one token request with its retries; a crashed holder blocks no one for longer.
LEASE = timedelta(seconds=30)
# A token this close to expiry is not handed out even while another process fetches the next one.
STILL_USABLE = timedelta(seconds=60)
WAIT_SECONDS = 0.05


def cache_key(settings: Settings) -> str:
    """One cached token per Wise API URL and client id."""
    return hashlib.sha256(f"{settings.wise_api_url}|{settings.wise_client_id}".encode()).hexdigest()


def app_token(*, ctx: Context, budget: Budget) -> str:
    """Return a valid client-credentials token, fetching one only when the cache cannot serve."""
    db, settings, cipher, clock = ctx.db, ctx.settings, ctx.cipher, ctx.clock
    key = cache_key(settings)
    margin = timedelta(seconds=settings.wise_app_token_refresh_margin_seconds)
    while True:
        now = clock.now()
        row = db.get(WiseAppToken, key, populate_existing=True)
        # End the read now: the caller (or _fetch) calls Wise next.
        db.commit()
        cached = _valid_until(row, now + margin)
        if cached:
            return cipher.decrypt(cached)
        owner = new_owner()
        if _take_lease(db, key, owner, now):
            return _fetch(ctx, budget, key, owner)
        cached = _valid_until(row, now + STILL_USABLE)
        if cached:
            return cipher.decrypt(cached)
        # Another process is fetching and the old token is spent: wait for the new one.
        budget.pause(WAIT_SECONDS, what="waiting for the shared Wise application token")


def forget_app_token(*, ctx: Context) -> None:
    """Drop the cached token (Wise refused it), so the next call fetches a new one."""
    ctx.db.exec(
        update(WiseAppToken)
        .where(col(WiseAppToken.key) == cache_key(ctx.settings))
        .values(access_token_ciphertext=None, expires_at=None)
    )
    ctx.db.commit()


def _valid_until(row: WiseAppToken | None, until: datetime) -> str | None:
    """The cached ciphertext when its token is still valid at ``until``."""
    if row is None or row.expires_at is None or row.expires_at <= until:
        return None
    return row.access_token_ciphertext


def _take_lease(db: Session, key: str, owner: str, now: datetime) -> bool:
    """Compare-and-set: the first process to find the lease free takes it."""
    if FETCH_LEASE.take(db, col(WiseAppToken.key) == key, owner=owner, until=now + LEASE, now=now):
        return True
    if db.get(WiseAppToken, key) is not None:
        return False
    # First use: the row does not exist yet. The primary key lets exactly one insert win.
    db.add(WiseAppToken(key=key, lease_owner=owner, lease_until=now + LEASE, updated_at=now))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return False
    return True


def _fetch(ctx: Context, budget: Budget, key: str, owner: str) -> str:
    """Fetch a token under our lease, store it, and release the lease (also on failure)."""
    db, wise = ctx.db, ctx.wise
    mine = col(WiseAppToken.key) == key
    try:
        tokens = budget.call(
            lambda timeout: wise.client_credentials_token(timeout=timeout),
            what="Wise client-credentials token",
        )
    except BaseException:
        db.rollback()
        FETCH_LEASE.release(db, mine, owner=owner)
        raise
    FETCH_LEASE.release(
        db,
        mine,
        owner=owner,
        access_token_ciphertext=ctx.cipher.encrypt(tokens.access_token),
        expires_at=tokens.access_token_expires_at,
        updated_at=ctx.now(),
    )
    return tokens.access_token
