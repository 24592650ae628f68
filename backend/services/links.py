"""The link state machine: a customer's Wise link and its audit trail.

linked → reauthorization_required (Wise revoked the tokens) → linked (the customer linked again);
linked | reauthorization_required → unlinked (the partner deleted it). Every change is a
compare-and-set ``UPDATE`` (or the ORM write of a link row the caller owns), recorded as a
``WiseLinkEvent`` and, when configured, as a partner notification in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, or_, sql, update
from sqlmodel import Session, col, select

from backend.context import Context
from backend.errors import NotLinked
from backend.leases import Leasable
from backend.models import LinkStatus, VerificationStatus, WiseLink, WiseLinkEvent
from backend.services import notifications
from backend.wise import TokenSet

L = WiseLink
LINKS: Table = WiseLink.__table__  # type: ignore[attr-defined]
# Linking runs these on every journey, so they are built once (Core, against the tables).
LINK_EXISTS = sql.select(LINKS.c.id).where(LINKS.c.customer_external_id == bindparam("customer"))
INSERT_LINK = insert(LINKS)
INSERT_EVENT = insert(WiseLinkEvent.__table__)  # type: ignore[attr-defined]
# Who refreshes a link's tokens right now (backend.services.tokens), and until when.
REFRESH_LEASE = Leasable(WiseLink, "refresh_lease_owner", "refresh_lease_until")
# Who asks Wise for a link's verification status after linking (backend.services.verification).
VERIFICATION_LEASE = Leasable(WiseLink, "verification_lease_owner", "verification_lease_until")
LIVE = (LinkStatus.LINKED, LinkStatus.REAUTHORIZATION_REQUIRED)
TOKENS_ERASED = {
    "access_token_ciphertext": None,
    "refresh_token_ciphertext": None,
    "access_token_expires_at": None,
    "access_token_obtained_at": None,
    "refresh_token_expires_at": None,
    "refresh_lease_owner": None,
    "refresh_lease_until": None,
}


def find_link(*, ctx: Context, customer_external_id: str) -> WiseLink | None:
    """Return the customer's link row, if any."""
    return ctx.db.exec(select(L).where(L.customer_external_id == customer_external_id)).first()


def reread(ctx: Context, link_id: int) -> WiseLink | None:
    """Read a link row as committed now, not as this session last saw it."""
    return ctx.db.exec(
        select(L).where(col(L.id) == link_id).execution_options(populate_existing=True)
    ).first()


def store_link(
    *,
    ctx: Context,
    now: datetime,
    customer_external_id: str,
    session_id: str,
    profile_id: int,
    profile_type: str,
    wise_user_id: int | None,
    tokens: TokenSet,
    identity_check: str | None = None,
) -> None:
    """Create or replace the customer's link with fresh encrypted tokens. The caller commits.

    Re-linking replaces a ``linked`` or ``reauthorization_required`` link. When the Wise user
    differs from the one linked before (the customer came back with another Wise account, e.g.
    after changing their email at Wise) the link is flagged ``account_changed`` for review.
    A first link of a customer linked concurrently elsewhere raises ``IntegrityError`` (the
    customer id is unique): the caller rolls back and stores again, as a relink.
    """
    db, cipher = ctx.db, ctx.cipher
    if db.execute(LINK_EXISTS, {"customer": customer_external_id}).first() is None:
        _insert_first_link(
            ctx,
            {
                "customer_external_id": customer_external_id,
                "status": LinkStatus.LINKED,
                "profile_id": profile_id,
                "profile_type": profile_type,
                "wise_user_id": wise_user_id,
                "session_id": session_id,
                "identity_check": identity_check,
                "access_token_ciphertext": cipher.encrypt(tokens.access_token),
                "refresh_token_ciphertext": (
                    cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
                ),
                "access_token_expires_at": tokens.access_token_expires_at,
                "access_token_obtained_at": now,
                "refresh_token_expires_at": tokens.refresh_token_expires_at,
                "linked_at": now,
                "updated_at": now,
                # As below: the worker asks Wise for the verification status at once.
                "verification_check_due_at": now,
            },
            detail=f"session {session_id}",
        )
        return
    link = find_link(ctx=ctx, customer_external_id=customer_external_id)
    assert link is not None  # links are never deleted, only unlinked
    event = "linked"
    changed = False
    # A refresh of the old grant may be in flight; taking its lease away makes it discard
    # its result instead of overwriting the tokens stored here.
    db.exec(update(L).where(col(L.id) == link.id).values(REFRESH_LEASE.cleared()))
    if link.status in LIVE:
        event = "relinked"
        changed = _different_account(link, wise_user_id=wise_user_id, profile_id=profile_id)
    if link.profile_id != profile_id:
        link.verification_status = VerificationStatus.UNKNOWN
        link.verification_updated_at = None
        link.verification_routes = None
        link.verification_checked_at = None
    link.previous_wise_user_id = link.wise_user_id if changed else None
    if link.wise_user_id != wise_user_id:
        # What Wise said about the previous Wise user is not about this one.
        link.wise_user_state = None
        link.wise_user_state_at = None
        link.wise_user_deactivation_type = None
        link.wise_user_deactivation_reason = None
    link.account_changed = changed
    link.status = LinkStatus.LINKED
    link.profile_id = profile_id
    link.profile_type = profile_type
    link.wise_user_id = wise_user_id
    link.session_id = session_id
    link.identity_check = identity_check
    link.access_token_ciphertext = cipher.encrypt(tokens.access_token)
    link.refresh_token_ciphertext = (
        cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
    )
    link.access_token_expires_at = tokens.access_token_expires_at
    link.access_token_obtained_at = now
    link.refresh_token_expires_at = tokens.refresh_token_expires_at
    link.refresh_lease_owner = None
    link.refresh_lease_until = None
    link.refresh_attempts = 0
    link.refresh_next_attempt_at = None
    link.refresh_last_error = None
    link.linked_at = now
    link.updated_at = now
    # Wise advises asking for the verification status right after linking rather than waiting
    # for a webhook: the worker does it at once (backend.services.verification.check_due).
    link.verification_check_due_at = now
    link.verification_check_attempts = 0
    link.verification_check_last_error = None
    db.add(link)
    _event(db, link, event, now, detail=f"session {session_id}")
    if changed:
        _event(
            db, link, "account_changed", now, detail=f"was Wise user {link.previous_wise_user_id}"
        )
    notifications.record(ctx=ctx, now=now, link=link, event_type=notifications.LINKED)


def _insert_first_link(ctx: Context, values: dict[str, Any], *, detail: str) -> None:
    """A customer's first link: the row and its audit event, as two INSERTs built once.

    Every other column takes its default: nothing was verified, refreshed or said by Wise yet.
    """
    ctx.db.execute(INSERT_LINK, values)
    ctx.db.execute(
        INSERT_EVENT,
        {
            "customer_external_id": values["customer_external_id"],
            "event": "linked",
            "detail": detail,
            "profile_id": values["profile_id"],
            "wise_user_id": values["wise_user_id"],
            "created_at": values["linked_at"],
        },
    )
    if ctx.settings.partner_notifications_enabled:
        link = WiseLink.model_validate(values)
        notifications.record(
            ctx=ctx, now=values["linked_at"], link=link, event_type=notifications.LINKED
        )


def require_reauthorization(
    *,
    ctx: Context,
    link_id: int,
    detail: str,
    lease_owner: str | None = None,
) -> bool:
    """Mark a linked link ``reauthorization_required`` and erase its tokens; the caller commits.

    With ``lease_owner`` the change only happens while that refresh still holds the lease (a
    relink meanwhile wins). Returns whether this call made the change.
    """
    db, now = ctx.db, ctx.now()
    conditions = [col(L.id) == link_id, col(L.status) == LinkStatus.LINKED]
    if lease_owner is not None:
        conditions.append(REFRESH_LEASE.held_by(lease_owner))
    result = db.exec(
        update(L)
        .where(*conditions)
        .values(status=LinkStatus.REAUTHORIZATION_REQUIRED, updated_at=now, **TOKENS_ERASED)
    )
    if result.rowcount != 1:
        return False
    link = reread(ctx, link_id)
    assert link is not None
    _event(db, link, "reauthorization_required", now, detail=detail)
    notifications.record(
        ctx=ctx, now=now, link=link, event_type=notifications.REAUTHORIZATION_REQUIRED
    )
    return True


def unlink(*, ctx: Context, customer_external_id: str) -> bool:
    """Unlink a customer: erase the tokens, keep the row and an audit record, and commit.

    Returns True when this call unlinked it, False when it was already unlinked.
    """
    db, now = ctx.db, ctx.now()
    link = find_link(ctx=ctx, customer_external_id=customer_external_id)
    if link is None:
        raise NotLinked()
    assert link.id is not None
    result = db.exec(
        update(L)
        .where(col(L.id) == link.id, col(L.status).in_(LIVE))
        .values(status=LinkStatus.UNLINKED, account_changed=False, updated_at=now, **TOKENS_ERASED)
    )
    if result.rowcount != 1:
        db.rollback()
        return False
    link = reread(ctx, link.id)
    assert link is not None
    _event(db, link, "unlinked", now, detail="deleted through the partner API")
    notifications.record(ctx=ctx, now=now, link=link, event_type=notifications.UNLINKED)
    db.commit()
    return True


def apply_verification(
    *,
    ctx: Context,
    profile_id: int,
    status: str,
    as_of: datetime,
    asked: bool = False,
) -> int:
    """Set the verification status of every link to ``profile_id``; the caller commits.

    ``as_of`` is when the fact was true (Wise's ``occurred_at``, or when the kit ``asked``). A
    fact older than the one already applied changes nothing, so late webhooks never move a link
    back. Wise's event times have whole seconds, so an event stamped with the second in which
    the kit asked may well be newer than the answer: an answer counts as of just before its
    second, and such an event wins. A later answer still wins over an earlier one.
    Returns how many links changed status.
    """
    if asked:
        as_of = as_of.replace(microsecond=0) - timedelta(microseconds=1)
    updated_at = col(L.verification_updated_at)
    older = updated_at <= as_of if asked else updated_at < as_of
    fresher = or_(updated_at.is_(None), older)
    # Links already holding ``status`` only take the newer time: one statement for all of them,
    # the same compare-and-set the loop below makes per link. Many customers may share a profile,
    # and a loop over them would hold SQLite's write lock for as long as it runs.
    ctx.db.exec(
        update(L)
        .where(col(L.profile_id) == profile_id, col(L.verification_status) == status, fresher)
        .values(verification_updated_at=as_of)
    )
    changed = 0
    ids = ctx.db.exec(
        select(L.id).where(
            col(L.profile_id) == profile_id, col(L.verification_status) != status, fresher
        )
    ).all()
    for link_id in ids:
        assert link_id is not None
        changed += _apply_verification_to(ctx, link_id, status, as_of, asked)
    return changed


def apply_user_state(
    *,
    ctx: Context,
    wise_user_id: int,
    state: str,
    deactivation_type: str | None,
    deactivation_reason: str | None,
    as_of: datetime,
) -> int:
    """Record a Wise user's state on every link to that user; the caller commits.

    The newest ``occurred_at`` wins (Wise does not promise the order of events; within one
    second the later of ACTIVE, WITHDRAW_ONLY, DEACTIVATED wins). A change is
    recorded in the audit trail and notified as ``link.wise_user_state_changed``. The link's own
    status is left alone: a DEACTIVATED user's tokens are revoked at Wise, and the kit learns
    that the usual way, the next time it uses or refreshes them. Returns how many links changed.
    """
    db = ctx.db
    changed = 0
    ids = db.exec(select(L.id).where(col(L.wise_user_id) == wise_user_id)).all()
    for link_id in ids:
        before = reread(ctx, link_id) if link_id is not None else None
        if before is None:
            continue
        # Read now: the UPDATE below also refreshes the loaded row.
        previous, at = before.wise_user_state, before.wise_user_state_at
        if not _newer_user_state(at, previous, as_of, state):
            continue
        same = (
            col(L.wise_user_state_at).is_(None) if at is None else col(L.wise_user_state_at) == at
        )
        result = db.exec(
            update(L)
            .where(col(L.id) == link_id, col(L.wise_user_id) == wise_user_id, same)
            .values(
                wise_user_state=state,
                wise_user_state_at=as_of,
                wise_user_deactivation_type=deactivation_type,
                wise_user_deactivation_reason=deactivation_reason,
            )
        )
        if result.rowcount != 1 or previous == state:
            continue
        fresh = reread(ctx, link_id) if link_id is not None else None
        assert fresh is not None
        now = ctx.now()
        detail = f"{previous or 'unknown'} -> {state}"
        if deactivation_type:
            detail += f" ({deactivation_type})"
        _event(db, fresh, "wise_user_state_changed", now, detail=detail)
        notifications.record(
            ctx=ctx, now=now, link=fresh, event_type=notifications.WISE_USER_STATE_CHANGED
        )
        changed += 1
    return changed


# Wise's timestamps have whole seconds: of two states of the same second, the later step wins.
USER_STATE_RANK = {"ACTIVE": 0, "WITHDRAW_ONLY": 1, "DEACTIVATED": 2}


def _newer_user_state(
    at: datetime | None, previous: str | None, as_of: datetime, state: str
) -> bool:
    if at is None or at < as_of:
        return True
    return at == as_of and USER_STATE_RANK.get(state, -1) > USER_STATE_RANK.get(previous or "", -1)


def record_event(*, ctx: Context, link: WiseLink, event: str, detail: str | None) -> None:
    """Add one entry to the link's audit trail (the caller commits)."""
    _event(ctx.db, link, event, ctx.now(), detail=detail)


def events(*, ctx: Context, customer_external_id: str) -> list[WiseLinkEvent]:
    """Return the customer's link audit trail, oldest first."""
    return list(
        ctx.db.exec(
            select(WiseLinkEvent)
            .where(WiseLinkEvent.customer_external_id == customer_external_id)
            .order_by(col(WiseLinkEvent.id))
        ).all()
    )


# -- internals --------------------------------------------------------------------------------


def _apply_verification_to(
    ctx: Context,
    link_id: int,
    status: str,
    as_of: datetime,
    asked: bool,
) -> int:
    """Compare-and-set one link's verification; retried when a concurrent fact got there first."""
    db = ctx.db
    for _ in range(3):
        link = reread(ctx, link_id)
        if link is None:
            return 0
        before = link.verification_status
        applied = link.verification_updated_at
        if applied is not None and (applied > as_of or (applied == as_of and not asked)):
            return 0  # a newer fact (or, for a webhook, one of the same moment) is applied
        older = (
            col(L.verification_updated_at) <= as_of
            if asked
            else (col(L.verification_updated_at) < as_of)
        )
        result = db.exec(
            update(L)
            .where(
                col(L.id) == link_id,
                col(L.verification_status) == before,
                or_(col(L.verification_updated_at).is_(None), older),
            )
            .values(verification_status=status, verification_updated_at=as_of)
        )
        if result.rowcount != 1:
            continue
        if before == status:
            return 0
        fresh = reread(ctx, link_id)
        assert fresh is not None
        now = ctx.now()
        _event(db, fresh, "verification_changed", now, detail=f"{before} -> {status}")
        event_type = (
            notifications.VERIFIED
            if status == VerificationStatus.VERIFIED
            else notifications.NOT_VERIFIED
        )
        notifications.record(ctx=ctx, now=now, link=fresh, event_type=event_type)
        return 1
    return 0


def _different_account(link: WiseLink, *, wise_user_id: int | None, profile_id: int) -> bool:
    """Compare Wise users when both are known, otherwise the profiles."""
    if link.wise_user_id is not None and wise_user_id is not None:
        return link.wise_user_id != wise_user_id
    return link.profile_id != profile_id


def _event(db: Session, link: WiseLink, event: str, now: datetime, *, detail: str | None) -> None:
    db.add(
        WiseLinkEvent(
            customer_external_id=link.customer_external_id,
            event=event,
            detail=detail[:255] if detail else None,
            profile_id=link.profile_id,
            wise_user_id=link.wise_user_id,
            created_at=now,
        )
    )
