"""Token brokering: hand out a link's access token, refreshing it single-flight when it is due.

Single flight works across processes and instances through a lease in the link row. A caller
takes it with one compare-and-set ``UPDATE ... WHERE lease is free or expired``; the winner
re-reads the row (someone may have refreshed meanwhile), calls Wise with no transaction open,
then stores the new tokens and frees the lease in one ``UPDATE ... WHERE lease_owner = me``.
Everyone else polls the row until the lease is freed and takes the result: fresh tokens, a
``reauthorization_required`` link, or (when the winner hit a transient error) a 503.

A token is due within the margin of its expiry, but never in the first half of its own lifetime
(``is_due``), and a caller that found a token due accepts whatever token replaced it. Otherwise a
margin as long as the token's lifetime (or Wise shortening the lifetime) would make every fresh
token due at once: waiters would see no usable token, and every later call would refresh again,
killing the token the previous caller was just handed.

Wise's answers are classified once, here: 400 ``invalid_grant``, 401 or 403 from the refresh
mean the grant is gone (the link needs reauthorization and its tokens are erased); 5xx, 429,
timeouts and unreadable answers are transient and never touch the tokens.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Table, bindparam, or_, sql, update
from sqlmodel import col, select

from backend import metrics, retries
from backend.context import Context
from backend.crypto import InvalidToken, TokenCipher
from backend.errors import (
    NotLinked,
    ReauthorizationRequired,
    StoredTokenUnreadable,
    WiseTemporarilyUnavailable,
)
from backend.leases import new_owner
from backend.models import LinkStatus, WiseLink
from backend.services import links
from backend.services.links import REFRESH_LEASE
from backend.wise import WiseOAuthError, WiseProtocolError, WiseUnavailable

logger = logging.getLogger(__name__)

L = WiseLink
LINKS: Table = WiseLink.__table__  # type: ignore[attr-defined]
# What handing out a token reads on every call, built once: only these columns, not a whole
# link object (a Core row; a partner may ask for a token before each of their Wise calls).
TOKEN_READ = sql.select(
    LINKS.c.id,
    LINKS.c.status,
    LINKS.c.access_token_ciphertext,
    LINKS.c.access_token_expires_at,
    LINKS.c.access_token_obtained_at,
).where(LINKS.c.customer_external_id == bindparam("customer"))
POLL_SECONDS = 0.05
# The lease outlives the longest Wise call by this much, so it cannot lapse while its holder is
# still waiting for Wise: WiseClient bounds every call to connect + read timeout by wall clock
# (backend.outbound.deadline), not only per socket read.
LEASE_SLACK_SECONDS = 10
DEFAULT_RETRY_AFTER = 5
# OAuth errors about our own client credentials: a configuration problem, not the user's grant.
CLIENT_ERRORS = ("invalid_client", "unauthorized_client")


class StoredTokens(Protocol):
    """What deciding whether a stored token may be handed out reads of a link."""

    @property
    def status(self) -> str: ...
    @property
    def access_token_ciphertext(self) -> str | None: ...
    @property
    def access_token_expires_at(self) -> datetime | None: ...
    @property
    def access_token_obtained_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class BrokeredToken:
    """A user access token for the partner's services, and when it expires."""

    access_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        # Keep the token out of tracebacks and debug output.
        return f"BrokeredToken(expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True)
class Refreshed:
    """The outcome of a refresh attempt: the token, and whether this caller asked Wise for it."""

    token: BrokeredToken
    called_wise: bool


def margin(ctx: Context) -> timedelta:
    """Tokens closer than this to expiry are refreshed first (see ``is_due`` for the cap)."""
    return timedelta(seconds=ctx.settings.token_refresh_margin_seconds)


def lease_length(ctx: Context) -> timedelta:
    """How long a refresh lease lasts: the longest Wise call, plus slack."""
    s = ctx.settings
    return timedelta(seconds=s.wise_connect_timeout + s.wise_read_timeout + LEASE_SLACK_SECONDS)


def is_due(
    *, expires_at: datetime | None, obtained_at: datetime | None, now: datetime, margin: timedelta
) -> bool:
    """Tell whether a token must be refreshed before it is handed out.

    Within ``margin`` of expiry, but at most half the token's lifetime before it: a token just
    obtained from Wise is never due. ``obtained_at`` is unknown (None) for links stored before
    the kit recorded it; then only the margin counts.
    """
    if expires_at is None:
        return True
    effective = margin
    if obtained_at is not None:
        effective = min(margin, (expires_at - obtained_at) / 2)
    return expires_at - now <= effective


def is_revocation(exc: WiseOAuthError) -> bool:
    """Tell whether a token-endpoint error means the user's grant is gone."""
    if exc.error in CLIENT_ERRORS:
        return False
    if exc.status in (401, 403):
        return True
    return exc.status == 400 and exc.error == "invalid_grant"


def access_token(
    *, ctx: Context, customer_external_id: str, rejected_token: str | None = None
) -> BrokeredToken:
    """Return a usable access token for the customer's link, refreshing it first when due.

    ``rejected_token`` is a token Wise just refused: it is refreshed even if it looks fresh
    (once: a caller holding an older token gets the current one).
    """
    link = ctx.db.execute(TOKEN_READ, {"customer": customer_external_id}).first()
    if link is None or link.status == LinkStatus.UNLINKED:
        raise NotLinked()
    if link.status == LinkStatus.REAUTHORIZATION_REQUIRED:
        raise ReauthorizationRequired()
    current = _usable(ctx, link, rejected_token)
    if current is not None:
        return current
    assert link.id is not None
    refreshed = refresh_link(
        ctx=ctx,
        link_id=link.id,
        rejected_token=rejected_token,
        due_token=_stored(ctx, link),
    )
    assert refreshed is not None
    return refreshed.token


def refresh_link(
    *,
    ctx: Context,
    link_id: int,
    rejected_token: str | None = None,
    due_token: str | None = None,
    wait: bool = True,
) -> Refreshed | None:
    """Refresh one link single-flight. With ``wait=False``, return None if another holds it.

    ``due_token`` is the token the caller found due ("" when none was stored): once another
    caller has replaced it, the replacement is taken even if it is itself within the margin.
    """
    owner = new_owner()
    deadline = time.monotonic() + lease_length(ctx).total_seconds() + 1
    may_take = True
    while True:
        if may_take and _take_lease(ctx, link_id, owner):
            return _refresh_as_holder(ctx, link_id, owner, rejected_token, due_token)
        if not wait:
            return None
        # Someone else holds the lease: only read until they are done (no write attempts).
        link = _current(ctx, link_id)
        current = _usable(ctx, link, rejected_token, due_token)
        if current is not None:
            return Refreshed(current, called_wise=False)
        if link.refresh_lease_owner is None:
            # The holder finished without a usable token: it met a transient error. Trying again
            # at once would turn one failure into a stampede on Wise.
            raise WiseTemporarilyUnavailable(retry_after=DEFAULT_RETRY_AFTER)
        until = link.refresh_lease_until
        may_take = until is not None and until < ctx.now()  # the holder died: take over
        if not may_take:
            if time.monotonic() > deadline:
                raise WiseTemporarilyUnavailable(retry_after=DEFAULT_RETRY_AFTER)
            time.sleep(POLL_SECONDS)


def refresh_due(*, ctx: Context, keep_going: Callable[[], bool] = lambda: True) -> dict[str, int]:
    """Refresh every linked link whose access token is within the margin of expiry.

    Safe to run on every instance at once: the lease makes each link refresh once, and a link
    another instance is refreshing is skipped. Returns counts by outcome.
    """
    now = ctx.now()
    candidates = ctx.db.exec(
        select(L.id, L.access_token_expires_at, L.access_token_obtained_at)
        .where(
            col(L.status) == LinkStatus.LINKED,
            col(L.refresh_token_ciphertext).is_not(None),
            # Background refreshes that kept failing back off, then stop (see below).
            col(L.refresh_attempts) < ctx.settings.token_refresh_max_attempts,
            or_(col(L.refresh_next_attempt_at).is_(None), col(L.refresh_next_attempt_at) <= now),
            or_(
                col(L.access_token_expires_at).is_(None),
                col(L.access_token_expires_at) <= now + margin(ctx),
            ),
        )
        .order_by(col(L.id))
    ).all()
    ctx.db.commit()
    # The half-lifetime rule needs each token's own lifetime, so it is applied here, not in SQL.
    ids = [
        link_id
        for link_id, expires_at, obtained_at in candidates
        if is_due(expires_at=expires_at, obtained_at=obtained_at, now=now, margin=margin(ctx))
    ]
    counts = {"refreshed": 0, "skipped": 0, "reauthorization_required": 0, "failed": 0}
    for link_id in ids:
        assert link_id is not None
        if not keep_going():
            break
        try:
            result = refresh_link(ctx=ctx, link_id=link_id, wait=False)
        except ReauthorizationRequired:
            counts["reauthorization_required"] += 1
        except NotLinked:
            counts["skipped"] += 1  # unlinked since the list was read
        except WiseTemporarilyUnavailable as exc:
            counts["failed"] += 1
            _record_background_failure(ctx, link_id, exc.error)
        else:
            counts["refreshed" if result and result.called_wise else "skipped"] += 1
    return counts


# -- internals --------------------------------------------------------------------------------


def _usable(
    ctx: Context, link: StoredTokens, rejected: str | None, due_token: str | None = None
) -> BrokeredToken | None:
    """The stored token if it may be handed out: unexpired, not the one Wise refused, and either
    not due or a replacement of ``due_token`` (the token this caller found due)."""
    expires = link.access_token_expires_at
    if link.status != LinkStatus.LINKED or not link.access_token_ciphertext or expires is None:
        return None
    now = ctx.now()
    if expires <= now:
        return None
    token = _open(ctx.cipher, link.access_token_ciphertext)
    if rejected is not None and _same(token, rejected):
        return None
    if due_token is not None and not _same(token, due_token):
        # Another caller refreshed after we found the token due: its result is the freshest
        # token Wise will give, and refreshing again would only kill it.
        return BrokeredToken(token, expires)
    due = is_due(
        expires_at=expires,
        obtained_at=link.access_token_obtained_at,
        now=now,
        margin=margin(ctx),
    )
    return None if due else BrokeredToken(token, expires)


def _stored(ctx: Context, link: StoredTokens) -> str:
    """The link's stored access token, or "" when none is stored."""
    ciphertext = link.access_token_ciphertext
    return _open(ctx.cipher, ciphertext) if ciphertext else ""


def _same(token: str, other: str) -> bool:
    return hmac.compare_digest(token.encode(), other.encode())


def _take_lease(ctx: Context, link_id: int, owner: str) -> bool:
    now = ctx.now()
    return REFRESH_LEASE.take(
        ctx.db,
        col(L.id) == link_id,
        col(L.status) == LinkStatus.LINKED,
        owner=owner,
        until=now + lease_length(ctx),
        now=now,
    )


def _record_background_failure(ctx: Context, link_id: int, code: str) -> None:
    """A background refresh failed transiently: back off, and stop after the last attempt.

    Only the worker's own attempts count. A partner asking for the token still triggers a
    refresh at any time, and any success (or a relink) starts the count over.
    """
    link = links.reread(ctx, link_id)
    ctx.db.commit()
    if link is None:
        return
    attempts = link.refresh_attempts + 1
    ctx.db.exec(
        update(L)
        .where(col(L.id) == link_id)
        .values(
            refresh_attempts=attempts,
            refresh_next_attempt_at=retries.next_attempt_at(ctx.settings, ctx.now(), attempts),
            refresh_last_error=f"attempt {attempts}: {code}"[:200],
        )
    )
    ctx.db.commit()
    if attempts >= ctx.settings.token_refresh_max_attempts:
        logger.error("background token refresh of a link stopped after %d attempts", attempts)


def _current(ctx: Context, link_id: int) -> WiseLink:
    """Re-read the link as committed now; raise when it is no longer linked."""
    link = links.reread(ctx, link_id)
    # End the read (commit keeps the loaded values; rollback would expire them), so no
    # transaction stays open while we wait and the next poll sees newer commits.
    ctx.db.commit()
    if link is None or link.status == LinkStatus.UNLINKED:
        raise NotLinked()
    if link.status == LinkStatus.REAUTHORIZATION_REQUIRED:
        raise ReauthorizationRequired()
    return link


def _release(ctx: Context, link_id: int, owner: str) -> None:
    REFRESH_LEASE.release(ctx.db, col(L.id) == link_id, owner=owner)


def _refresh_as_holder(
    ctx: Context, link_id: int, owner: str, rejected: str | None, due_token: str | None
) -> Refreshed:
    """Holding the lease: re-read, call Wise with no transaction open, store the outcome."""
    try:
        link = _current(ctx, link_id)
        current = _usable(ctx, link, rejected, due_token)
        refresh_token = (
            _open(ctx.cipher, link.refresh_token_ciphertext)
            if link.refresh_token_ciphertext
            else None
        )
    except BaseException:
        _release(ctx, link_id, owner)
        raise
    if current is not None:
        # Another caller refreshed between our first read and our lease.
        _release(ctx, link_id, owner)
        return Refreshed(current, called_wise=False)
    if refresh_token is None:
        return _revoke(ctx, link_id, owner, "no refresh token stored")
    try:
        tokens = ctx.wise.refresh(refresh_token=refresh_token)
    except WiseOAuthError as exc:
        if is_revocation(exc):
            metrics.TOKEN_REFRESHES.labels(outcome="reauthorization_required").inc()
            return _revoke(ctx, link_id, owner, f"refresh answered {exc.status} {exc.error}")
        metrics.TOKEN_REFRESHES.labels(outcome="client_refused").inc()
        logger.error("token refresh refused (%s, %s): not a revocation", exc.status, exc.error)
        _release(ctx, link_id, owner)
        raise WiseTemporarilyUnavailable(retry_after=DEFAULT_RETRY_AFTER) from None
    except (WiseUnavailable, WiseProtocolError) as exc:
        metrics.TOKEN_REFRESHES.labels(outcome="failed").inc()
        logger.warning("token refresh failed transiently: %s", exc)
        _release(ctx, link_id, owner)
        retry_after = getattr(exc, "retry_after", None) or DEFAULT_RETRY_AFTER
        raise WiseTemporarilyUnavailable(retry_after=retry_after) from None
    except BaseException:
        _release(ctx, link_id, owner)
        raise
    values = {
        "access_token_ciphertext": ctx.cipher.encrypt(tokens.access_token),
        "access_token_expires_at": tokens.access_token_expires_at,
        "access_token_obtained_at": ctx.now(),
        "updated_at": ctx.now(),
        "refresh_attempts": 0,
        "refresh_next_attempt_at": None,
        "refresh_last_error": None,
    }
    if tokens.refresh_token:
        # Wise may rotate the refresh token; the new one is stored in the same UPDATE.
        values["refresh_token_ciphertext"] = ctx.cipher.encrypt(tokens.refresh_token)
        values["refresh_token_expires_at"] = tokens.refresh_token_expires_at
    # The tokens are written, and the lease freed, only while this caller still holds it.
    stored = REFRESH_LEASE.release(
        ctx.db, col(L.id) == link_id, col(L.status) == LinkStatus.LINKED, owner=owner, **values
    )
    metrics.TOKEN_REFRESHES.labels(outcome="refreshed").inc()
    if not stored:
        return _after_lost_lease(ctx, link_id)
    return Refreshed(BrokeredToken(tokens.access_token, tokens.access_token_expires_at), True)


def _revoke(ctx: Context, link_id: int, owner: str, detail: str) -> Refreshed:
    """Record that Wise revoked the grant, then tell the caller to send the customer back."""
    changed = links.require_reauthorization(
        ctx=ctx,
        link_id=link_id,
        detail=detail,
        lease_owner=owner,
    )
    ctx.db.commit()
    if not changed:
        return _after_lost_lease(ctx, link_id)
    logger.info("link needs reauthorization: %s", detail)
    raise ReauthorizationRequired()


def _after_lost_lease(ctx: Context, link_id: int) -> Refreshed:
    """The link was relinked or unlinked while Wise answered: its new state wins over ours."""
    current = _usable(ctx, _current(ctx, link_id), None)
    if current is None:
        raise WiseTemporarilyUnavailable(retry_after=DEFAULT_RETRY_AFTER)
    return Refreshed(current, called_wise=True)


def _open(cipher: TokenCipher, ciphertext: str) -> str:
    try:
        return cipher.decrypt(ciphertext)
    except InvalidToken:
        # A key was removed before rotation finished. Not the user's doing: change nothing.
        logger.error("a stored token cannot be decrypted with the configured keys")
        raise StoredTokenUnreadable() from None
