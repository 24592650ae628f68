"""The session transitions every journey runs, as statements built once.

Building an UPDATE (coercing each value, generating its cache key) cost more CPU than running it,
so these are built at import with bound parameters and run with values. The rules are those of
``transitions``, which runs them: each is a compare-and-set whose row count or RETURNING row
decides the winner.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.dml import Update
from sqlmodel import col

from backend.db import UTCDateTime
from backend.models import OnboardingSession, SessionStatus

S = OnboardingSession
TABLE: Table = OnboardingSession.__table__  # type: ignore[attr-defined]
C = TABLE.c


def _at(name: str) -> Any:
    """A bound timestamp, processed like the columns it is compared with or written to."""
    return bindparam(name, type_=UTCDateTime())


def _value(column: str) -> Any:
    """The bound value ``v_<column>`` for a SET clause, typed like its column."""
    return bindparam(f"v_{column}", type_=C[column].type)


# launched → the state consumed, for the browser holding the binding; returns the row.
CLAIM_STATE = (
    update(S)
    .where(
        col(S.state_hash) == bindparam("b_state_hash"),
        col(S.binding_hash) == bindparam("b_binding_hash"),
        col(S.state_consumed_at).is_(None),
        col(S.status) == SessionStatus.LAUNCHED,
        col(S.state_expires_at) > _at("b_now"),
    )
    .values(state_consumed_at=_at("b_now"))
    .returning(S)
    .execution_options(synchronize_session=False)
)

# launched → a terminal status. Core: its SET values are the parameters named like the columns.
FINISH = update(TABLE).where(C.id == bindparam("b_id"), C.status == SessionStatus.LAUNCHED)


@functools.cache
def launch(*, with_mode: bool, with_lease: bool, columns: tuple[str, ...]) -> Update:
    """created → launched for the token hash ``b_token_hash``, setting ``v_<column>`` values.

    With ``with_mode`` only a session of mode ``b_mode``; with ``with_lease`` only while
    ``b_lease_owner`` holds its preparation lease. Returns the launched row. One statement per
    shape, built on first use.
    """
    conditions: list[ColumnElement[bool]] = [
        col(S.launch_token_hash) == bindparam("b_token_hash"),
        col(S.status) == SessionStatus.CREATED,
        col(S.expires_at) > _at("b_now"),
    ]
    if with_mode:
        conditions.append(col(S.mode) == bindparam("b_mode"))
    if with_lease:
        conditions.append(col(S.prepare_lease_owner) == bindparam("b_lease_owner"))
    return (
        update(S)
        .where(*conditions)
        .values({column: _value(column) for column in columns})
        .returning(S)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
