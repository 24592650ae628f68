"""The link state machine: a customer's Wise link and its audit trail.

linked → reauthorization_required (Wise revoked the tokens) → linked (the customer linked again);
linked | reauthorization_required → unlinked (the partner deleted it). Every change is a
compare-and-set ``UPDATE`` (or the ORM write of a link row the caller owns), recorded as a
``WiseLinkEvent`` and, when configured, as a partner notification in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from backend.context import Context
from backend.errors import NotLinked
from backend.leases import Leasable
from backend.models import LinkStatus, VerificationStatus, WiseLink, WiseLinkEvent
from backend.services import notifications
from backend.wise import TokenSet

L = WiseLink
# Who refreshes a link's tokens right now (backend.services.tokens), and until when.
REFRESH_LEASE = Leasable(WiseLink, "refresh_lease_owner", "refresh_lease_until")
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
) -> WiseLink:
    """Create or replace the customer's link with fresh encrypted tokens. The caller commits.

    Re-linking replaces a ``linked`` or ``reauthorization_required`` link. When the Wise user
    differs from the one linked before (the customer came back with another Wise account, e.g.
    after changing their email at Wise) the link is flagged ``account_changed`` for review.
    """
    db, cipher = ctx.db, ctx.cipher
    link = find_link(ctx=ctx, customer_external_id=customer_external_id)
    event = "linked"
    changed = False
    if link is None:
        link = WiseLink(
            customer_external_id=customer_external_id,
            profile_id=profile_id,
            profile_type=profile_type,
            linked_at=now,
            updated_at=now,
        )
    else:
        # A refresh of the old grant may be in flight; taking its lease away makes it discard
        # its result instead of overwriting the tokens stored here.
        db.exec(update(L).where(col(L.id) == link.id).values(REFRESH_LEASE.cleared()))
        if link.status in LIVE:
            event = "relinked"
            changed = _different_account(link, wise_user_id=wise_user_id, profile_id=profile_id)
        if link.profile_id != profile_id:
            link.verification_status = VerificationStatus.UNKNOWN
            link.verification_updated_at = None
        link.previous_wise_user_id = link.wise_user_id if changed else None
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
    db.add(link)
    _event(db, link, event, now, detail=f"session {session_id}")
    if changed:
        _event(
            db, link, "account_changed", now, detail=f"was Wise user {link.previous_wise_user_id}"
        )
    notifications.record(ctx=ctx, now=now, link=link, event_type=notifications.LINKED)
    return link


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
    back; an answer the kit just asked for also wins over a fact of the same instant.
    Returns how many links changed status.
    """
    changed = 0
    ids = ctx.db.exec(select(L.id).where(col(L.profile_id) == profile_id)).all()
    for link_id in ids:
        assert link_id is not None
        changed += _apply_verification_to(ctx, link_id, status, as_of, asked)
    return changed


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
            return 0  # a newer fact (or, for a webhook, one of the same instant) is applied
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
