"""The link state machine: a customer's Wise link, created on a successful return."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from backend.crypto import TokenCipher
from backend.models import LinkStatus, WiseLink
from backend.wise import TokenSet


def find_link(*, db: Session, customer_external_id: str) -> WiseLink | None:
    """Return the customer's link row, if any."""
    return db.exec(
        select(WiseLink).where(WiseLink.customer_external_id == customer_external_id)
    ).first()


def store_link(
    *,
    db: Session,
    cipher: TokenCipher,
    now: datetime,
    customer_external_id: str,
    session_id: str,
    profile_id: int,
    profile_type: str,
    wise_user_id: int | None,
    tokens: TokenSet,
    identity_check: str | None = None,
) -> WiseLink:
    """Create or replace the customer's link with fresh encrypted tokens. The caller commits."""
    link = find_link(db=db, customer_external_id=customer_external_id)
    if link is None:
        link = WiseLink(
            customer_external_id=customer_external_id,
            profile_id=profile_id,
            profile_type=profile_type,
            linked_at=now,
            updated_at=now,
        )
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
    link.refresh_token_expires_at = tokens.refresh_token_expires_at
    link.linked_at = now
    link.updated_at = now
    db.add(link)
    return link
