"""The one lease primitive: take a row, hold it, release it, always by owner.

Work that must happen once while it calls someone slow (Wise, the partner) takes a time-limited
lease on a row instead of holding a database lock: a compare-and-set ``UPDATE ... WHERE the lease
is free`` names the new owner and an expiry, and commits at once so every instance sees it. The
holder then works with no transaction open, and writes its result back only ``WHERE owner = me``,
which also releases the lease. A holder that dies simply lets the lease run out; a holder that
outlived its lease finds its write-back refused and drops its result.

Queues (stored webhooks, partner notifications) are scanned with ``claim_next``, or
``claim_batch`` where items are cheap and many (webhooks): on PostgreSQL the candidate rows are
read ``FOR UPDATE SKIP LOCKED``, so workers claiming at the same moment take different rows
instead of queueing behind each other; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, inspect, or_, select, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, SQLModel


def new_owner() -> str:
    """A fresh owner id for one holder (a request, a worker job)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Leasable:
    """A table whose rows can be leased, and the names of its owner and expiry columns."""

    model: type[SQLModel]
    owner_column: str = "lease_owner"
    until_column: str = "lease_until"

    @property
    def owner(self) -> Any:
        """The owner column."""
        return getattr(self.model, self.owner_column)

    @property
    def until(self) -> Any:
        """The expiry column."""
        return getattr(self.model, self.until_column)

    def free(self, now: datetime) -> ColumnElement[bool]:
        """Rows nobody holds, or whose holder's lease ran out."""
        return or_(self.until.is_(None), self.until < now)

    def held_by(self, owner: str) -> ColumnElement[bool]:
        """Rows ``owner`` still holds (whatever the time: the write-back decides)."""
        condition: ColumnElement[bool] = self.owner == owner
        return condition

    def cleared(self) -> dict[str, Any]:
        """The values that free a row (column values, all None), to spread into an update."""
        return {self.owner_column: None, self.until_column: None}

    def take(
        self,
        db: Session,
        *where: Any,
        owner: str,
        until: datetime,
        now: datetime,
        **values: Any,
    ) -> bool:
        """Lease the row matching ``where`` if it is free; commit; tell whether this call got it."""
        taken = db.exec(
            update(self.model)
            .where(*where, self.free(now))
            .values({self.owner_column: owner, self.until_column: until, **values})
        )
        db.commit()
        return bool(taken.rowcount == 1)

    def renew(self, db: Session, *where: Any, owner: str, until: datetime) -> bool:
        """Extend a lease ``owner`` still holds; commit; False when it was lost."""
        renewed = db.exec(
            update(self.model).where(*where, self.held_by(owner)).values({self.until_column: until})
        )
        db.commit()
        return bool(renewed.rowcount == 1)

    def release(self, db: Session, *where: Any, owner: str, **values: Any) -> bool:
        """Write ``values`` and free the row, only while ``owner`` holds it; commit.

        Returns False when the lease was lost meanwhile: the caller's result must be dropped.
        """
        released = db.exec(
            update(self.model)
            .where(*where, self.held_by(owner))
            .values({**values, **self.cleared()})
        )
        db.commit()
        return bool(released.rowcount == 1)

    def claim_next(
        self,
        db: Session,
        *where: Any,
        order_by: Sequence[Any],
        owner: str,
        until: datetime,
        now: datetime,
        **values: Any,
    ) -> Any | None:
        """Lease the first free row of a queue matching ``where``; commit; its key, or None.

        None also when another worker won the row first; the caller simply asks again.
        """
        key = inspect(self.model).primary_key[0]
        candidate = select(key).where(*where, self.free(now)).order_by(*order_by).limit(1)
        if db.get_bind().dialect.name == "postgresql":
            # Rows other workers are claiming right now are skipped rather than waited for.
            candidate = candidate.with_for_update(skip_locked=True)
        row_key = db.execute(candidate).scalars().first()
        if row_key is None:
            db.commit()
            return None
        # The queue's conditions are checked again as the row is taken: another worker may have
        # claimed and finished it (freeing the lease) between the read above and this write.
        won = self.take(db, key == row_key, *where, owner=owner, until=until, now=now, **values)
        return row_key if won else None

    def claim_batch(
        self,
        db: Session,
        *where: Any,
        order_by: Sequence[Any],
        limit: int,
        owner: str,
        until: datetime,
        now: datetime,
        returning: Sequence[Any],
        **values: Any,
    ) -> list[Row[Any]]:
        """Lease up to ``limit`` free rows of a queue in one statement; commit; their ``returning``.

        ``where``, ``order_by`` and ``returning`` are written against the table's columns
        (``table.c``): the statement is Core, so nothing is synchronised with session objects.
        One ``UPDATE ... WHERE key IN (candidates) RETURNING`` takes them all, with the queue's
        conditions checked again as each row is taken, as ``claim_next`` does for one. Rows come
        back in ``order_by`` order of their keys only if the caller sorts them: RETURNING keeps
        no order. The holder releases what it will not work on (``release``), or lets it run out.
        """
        table: Table = self.model.__table__  # type: ignore[attr-defined]
        key = table.primary_key.columns.values()[0]
        until_column = table.c[self.until_column]
        free = or_(until_column.is_(None), until_column < now)
        candidates = select(key).where(*where, free).order_by(*order_by).limit(limit)
        if db.get_bind().dialect.name == "postgresql":
            # Picked once, in a materialised CTE: as an IN subquery PostgreSQL may run it again
            # for each row the UPDATE visits, and each run finds the next free rows.
            picked = (
                candidates.with_for_update(skip_locked=True)
                .cte("picked")
                .prefix_with("MATERIALIZED")
            )
            chosen = key == picked.c[key.name]
        else:
            chosen = key.in_(candidates.scalar_subquery())
        claimed = db.execute(
            update(table)
            .where(chosen, *where, free)
            .values({self.owner_column: owner, self.until_column: until, **values})
            .returning(*returning)
        ).all()
        db.commit()
        return list(claimed)
