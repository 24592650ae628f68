"""Key rotation: re-encrypt every stored ciphertext with the first configured key.

Fernet ciphertexts live in several tables: link tokens, the shared application token, the
registration codes of pre-filled accounts, pre-filled personal data on open sessions, and the
stored answers of idempotency keys. All of them must move to the new key before the old one may
be removed from ONBOARDING_TOKEN_ENCRYPTION_KEYS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, or_, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, SQLModel, select

from backend.context import Context
from backend.crypto import InvalidToken, TokenCipher
from backend.models import (
    IdempotencyRecord,
    OnboardingSession,
    PrefillAccount,
    WiseAppToken,
    WiseLink,
)

# Every table with Fernet columns, and the columns. A new encrypted column belongs here, and
# tests/lifecycle/test_key_rotation.py checks that no *_ciphertext column is missing.
ENCRYPTED: tuple[tuple[type[SQLModel], tuple[str, ...]], ...] = (
    (WiseLink, ("access_token_ciphertext", "refresh_token_ciphertext")),
    (WiseAppToken, ("access_token_ciphertext",)),
    (PrefillAccount, ("registration_code_ciphertext",)),
    (OnboardingSession, ("prefill_ciphertext",)),
    (IdempotencyRecord, ("response_ciphertext",)),
)


@dataclass
class Rotation:
    """What a run changed, per table, and the rows no configured key could open."""

    rotated: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows re-encrypted in all tables."""
        return sum(self.rotated.values())


def rotate_keys(*, ctx: Context) -> Rotation:
    """Re-encrypt every stored ciphertext under the first key; report what changed.

    Each row is rewritten with a compare-and-set on its old ciphertexts, so a concurrent write
    (a refresh storing new tokens, say) is never overwritten: that write used the first key.
    """
    report = Rotation()
    for model, columns in ENCRYPTED:
        name = str(model.__tablename__)
        rotated, unreadable = _rotate_table(ctx.db, ctx.cipher, model, columns)
        report.rotated[name] = rotated
        if unreadable:
            report.unreadable[name] = unreadable
    return report


def _rotate_table(
    db: Session, cipher: TokenCipher, model: type[SQLModel], columns: tuple[str, ...]
) -> tuple[int, int]:
    key = inspect(model).primary_key[0]
    cols = [getattr(model, c) for c in columns]
    stored = or_(*(c.is_not(None) for c in cols))
    ids = list(db.exec(select(key).where(stored).order_by(key)).all())
    db.commit()
    rotated = unreadable = 0
    for row_id in ids:
        for _ in range(3):
            # The key is selected too: SQLModel returns bare scalars for a one-column select.
            current = db.exec(select(key, *cols).where(key == row_id)).first()
            db.commit()
            if current is None:
                break
            old = tuple(current)[1:]
            try:
                new = tuple(_rotated(cipher, value) for value in old)
            except InvalidToken:
                unreadable += 1
                break
            if new == old:
                break
            result = db.exec(
                update(model)
                .where(key == row_id, *(_equals(c, v) for c, v in zip(cols, old, strict=True)))
                .values(dict(zip(columns, new, strict=True)))
            )
            db.commit()
            if result.rowcount == 1:
                rotated += 1
                break
    return rotated, unreadable


def _rotated(cipher: TokenCipher, value: str | None) -> str | None:
    if value is None or cipher.is_primary(value):
        return value
    return cipher.rotate(value)


def _equals(column: Any, value: str | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value
