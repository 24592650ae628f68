"""The identity check after linking: is the granted Wise profile the customer the partner knows?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from backend.models import FailureReason


@dataclass(frozen=True)
class GrantedProfile:
    """The fields of a Wise profile the kit relies on, read from ``GET /v2/profiles/{id}``."""

    id: int
    type: str  # "personal" or "business"
    user_id: int | None
    date_of_birth: str | None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> GrantedProfile | None:
        """Read a v2 profile; also accept the legacy v1 shape (``details.dateOfBirth``).

        Returns None when the body is not a usable profile.
        """
        try:
            profile_id = int(body["id"])
        except (KeyError, TypeError, ValueError):
            return None
        kind = str(body.get("type", "")).lower()
        if kind not in ("personal", "business"):
            return None
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        dob = body.get("dateOfBirth") or (details or {}).get("dateOfBirth")
        user_id = body.get("userId")
        return cls(
            id=profile_id,
            type=kind,
            user_id=int(user_id) if isinstance(user_id, int) else None,
            date_of_birth=str(dob) if dob else None,
        )


def identity_failure(
    *, profile: GrantedProfile, customer_type: str, customer_date_of_birth: date | None
) -> FailureReason | None:
    """Return why the profile does not match the customer, or None when it does.

    Personal profiles must carry exactly the date of birth the partner holds, as Wise asks partners
    to check. Business profiles have no date of birth; they are accepted here.
    """
    if profile.type != customer_type:
        return FailureReason.PROFILE_TYPE_MISMATCH
    if profile.type == "personal":
        if customer_date_of_birth is None or profile.date_of_birth is None:
            return FailureReason.IDENTITY_MISMATCH
        if profile.date_of_birth != customer_date_of_birth.isoformat():
            return FailureReason.IDENTITY_MISMATCH
    return None
