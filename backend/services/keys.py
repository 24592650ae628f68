"""Key rotation: re-encrypt stored Wise tokens with the first key of the configured list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from backend.crypto import TokenCipher
from backend.models import WiseLink
from backend.services import links

L = WiseLink


def rotate_keys(*, db: Session, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token under the first key; return how many links changed.

    Each row is rewritten with a compare-and-set on its old ciphertexts, so a refresh storing
    new tokens at the same moment is never overwritten (its tokens use the first key anyway).
    """
    rotated = 0
    stored = or_(
        col(L.access_token_ciphertext).is_not(None), col(L.refresh_token_ciphertext).is_not(None)
    )
    ids = db.exec(select(L.id).where(stored).order_by(col(L.id))).all()
    db.commit()
    for link_id in ids:
        assert link_id is not None
        for _ in range(3):
            link = links.reread(db, link_id)
            if link is None:
                break
            old = (link.access_token_ciphertext, link.refresh_token_ciphertext)
            new = tuple(_rotated(cipher, value) for value in old)
            if new == old:
                db.commit()
                break
            result = db.exec(
                update(L)
                .where(col(L.id) == link_id, _equals(L.access_token_ciphertext, old[0]))
                .where(_equals(L.refresh_token_ciphertext, old[1]))
                .values(access_token_ciphertext=new[0], refresh_token_ciphertext=new[1])
            )
            db.commit()
            if result.rowcount == 1:
                rotated += 1
                break
    return rotated


def _rotated(cipher: TokenCipher, value: str | None) -> str | None:
    if value is None or cipher.is_primary(value):
        return value
    return cipher.rotate(value)


def _equals(column: Any, value: str | None) -> ColumnElement[bool]:
    return col(column).is_(None) if value is None else col(column) == value
