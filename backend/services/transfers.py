"""Local transfer statuses, driven by ``transfers#state-change`` webhooks.

Wise does not guarantee the order of events, so the newest ``occurred_at`` wins and an older event
never moves a record backwards. The rule is one compare-and-set ``UPDATE ... WHERE occurred_at <
:new``; a record that does not exist yet is inserted, and a concurrent first insert makes the
caller retry (then the update path decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update

from backend.context import Context
from backend.errors import NotFound
from backend.models import TransferStatus

T = TransferStatus
TABLE: Table = TransferStatus.__table__  # type: ignore[attr-defined]
C = TABLE.c

# Events carry whole seconds, so two steps of one transfer can share an occurred_at. Then the
# later step of Wise's documented flow wins; unknown states rank lowest.
STATE_RANK = {
    "unknown": 0,
    "incoming_payment_waiting": 1,
    "incoming_payment_initiated": 2,
    "processing": 3,
    "funds_converted": 4,
    "outgoing_payment_sent": 5,
    "cancelled": 6,
    "funds_refunded": 7,
    "bounced_back": 8,
    "charged_back": 9,
}

# Every webhook about a transfer runs these, so they are built once (Core, against the table).
# NEWER takes its SET values from the parameters named like the columns; the b_ ones compare.
NEWER = update(TABLE).where(
    C.transfer_id == bindparam("b_transfer_id"),
    or_(
        C.occurred_at < bindparam("b_occurred_at"),
        and_(C.occurred_at == bindparam("b_occurred_at"), C.state_rank < bindparam("b_rank")),
    ),
)
EXISTS = select(C.transfer_id).where(C.transfer_id == bindparam("b_transfer_id"))
INSERT = insert(TABLE)


@dataclass(frozen=True)
class TransferUpdate:
    """One state change of one transfer, as a webhook reports it."""

    transfer_id: int
    profile_id: int
    account_id: int | None
    current_state: str
    previous_state: str | None
    occurred_at: datetime


def apply(*, ctx: Context, change: TransferUpdate) -> bool:
    """Record ``change`` unless a newer one is already recorded; the caller commits.

    Returns whether the record changed. A concurrent first insert raises ``IntegrityError``; the
    caller rolls back and applies again.
    """
    db = ctx.db
    values: dict[str, Any] = {
        "profile_id": change.profile_id,
        "account_id": change.account_id,
        "current_state": change.current_state,
        "previous_state": change.previous_state,
        "state_rank": STATE_RANK.get(change.current_state, 0),
        "occurred_at": change.occurred_at,
        "updated_at": ctx.now(),
    }
    key = {"b_transfer_id": change.transfer_id}
    compare = {**values, **key, "b_occurred_at": change.occurred_at, "b_rank": values["state_rank"]}
    if db.execute(NEWER, compare).rowcount == 1:  # type: ignore[attr-defined]
        return True
    if db.execute(EXISTS, key).first() is not None:
        # The record exists now, but may have been inserted after the UPDATE above took its
        # snapshot: only an UPDATE that sees it can tell whether this change is newer.
        return bool(db.execute(NEWER, compare).rowcount == 1)  # type: ignore[attr-defined]
    db.execute(INSERT, {"transfer_id": change.transfer_id, **values})
    return True


def get_transfer(*, ctx: Context, transfer_id: int) -> TransferStatus:
    """Return a transfer's recorded status, or raise NotFound."""
    # Ids are BIGINT: a larger number cannot exist, and drivers would refuse to bind it.
    row = ctx.db.get(T, transfer_id) if 0 < transfer_id < 2**63 else None
    if row is None:
        raise NotFound("No status is recorded for this transfer.")
    return row
