"""The link between a partner's customer and a Wise profile, with its tokens encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class LinkStatus(StrEnum):
    """What the partner API reports for a customer."""

    LINKED = "linked"
    NOT_LINKED = "not_linked"


class WiseLink(SQLModel, table=True):
    """One row per customer: the currently linked Wise profile and its user tokens (ciphertext)."""

    __tablename__ = "wise_link"

    id: int | None = SQLField(default=None, primary_key=True)
    customer_external_id: str = SQLField(unique=True, max_length=128)
    status: str = SQLField(default=LinkStatus.LINKED, max_length=32)
    wise_user_id: int | None = SQLField(default=None, sa_column=Column(BigInteger))
    profile_id: int = SQLField(sa_column=Column(BigInteger, nullable=False))
    profile_type: str = SQLField(max_length=16)
    access_token_ciphertext: str | None = None
    refresh_token_ciphertext: str | None = None
    access_token_expires_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    refresh_token_expires_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    session_id: str | None = SQLField(default=None, max_length=36)
    identity_check: str | None = SQLField(default=None, max_length=16)
    linked_at: datetime = SQLField(sa_type=UTCDateTime)
    updated_at: datetime = SQLField(sa_type=UTCDateTime)


class WiseLinkPublic(BaseModel):
    """What ``GET /api/v1/customers/<external_id>/wise-link`` returns; never any token."""

    status: str
    profile_id: int | None = None
    profile_type: str | None = None
    linked_at: datetime | None = None
    # "passed", or "not_applicable" for a business linked without a registration number to compare.
    identity_check: str | None = None

    @classmethod
    def of(cls, row: WiseLink | None) -> WiseLinkPublic:
        """Build the public view; a missing row reads as not linked."""
        if row is None or row.status != LinkStatus.LINKED:
            return cls(status=LinkStatus.NOT_LINKED)
        return cls(
            status=row.status,
            profile_id=row.profile_id,
            profile_type=row.profile_type,
            linked_at=row.linked_at,
            identity_check=row.identity_check,
        )
