"""The client-credentials token, cached in the database so every process shares one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime


class WiseAppToken(SQLModel, table=True):
    """One row per Wise environment and client: the token (ciphertext) and a refresh lease."""

    __tablename__ = "wise_app_token"

    # SHA-256 of the API URL and client id: a token never leaks to another environment.
    key: str = SQLField(primary_key=True, max_length=64)
    access_token_ciphertext: str | None = None
    expires_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    # While the lease runs, its owner is fetching a new token; the others wait for it.
    lease_owner: str | None = SQLField(default=None, max_length=36)
    lease_until: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    updated_at: datetime = SQLField(sa_type=UTCDateTime)
