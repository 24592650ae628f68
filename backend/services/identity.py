"""The identity check after linking: is the granted Wise profile the customer the partner knows?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from backend.models import FailureReason, IdentityCheck


@dataclass(frozen=True)
class GrantedProfile:
    """The fields of a Wise profile the kit relies on, read from ``GET /v2/profiles/{id}``."""

    id: int
    type: str  # "personal" or "business"
    user_id: int | None
    date_of_birth: str | None
    registration_number: str | None = None

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
        registration = body.get("registrationNumber") or (details or {}).get("registrationNumber")
        return cls(
            id=profile_id,
            type=kind,
            user_id=int(user_id) if isinstance(user_id, int) else None,
            date_of_birth=str(dob) if dob else None,
            registration_number=str(registration) if registration else None,
        )


@dataclass(frozen=True)
class IdentityResult:
    """The outcome of the identity check: what was established, and why it failed if it did."""

    check: IdentityCheck
    failure: FailureReason | None = None


def check_identity(
    *,
    profile: GrantedProfile,
    customer_type: str,
    customer_date_of_birth: date | None,
    customer_registration_number: str | None,
) -> IdentityResult:
    """Tell whether the granted profile is the customer the partner knows.

    Personal profiles must carry exactly the date of birth the partner holds, as Wise asks
    partners to check. Business profiles carry no date of birth: when the partner gave a
    registration number, the profile's must be the same (ignoring case, spaces, dots, slashes
    and hyphens); otherwise the profile is accepted and the check is ``not_applicable``, an
    approach to agree with Wise (see docs/prefill.md).
    """
    if profile.type != customer_type:
        return IdentityResult(IdentityCheck.FAILED, FailureReason.PROFILE_TYPE_MISMATCH)
    if profile.type == "personal":
        if customer_date_of_birth is None or profile.date_of_birth is None:
            return IdentityResult(IdentityCheck.FAILED, FailureReason.IDENTITY_MISMATCH)
        if profile.date_of_birth != customer_date_of_birth.isoformat():
            return IdentityResult(IdentityCheck.FAILED, FailureReason.IDENTITY_MISMATCH)
        return IdentityResult(IdentityCheck.PASSED)
    if customer_registration_number is None:
        return IdentityResult(IdentityCheck.NOT_APPLICABLE)
    held = _registration_key(customer_registration_number)
    if _registration_key(profile.registration_number or "") != held:
        return IdentityResult(IdentityCheck.FAILED, FailureReason.IDENTITY_MISMATCH)
    return IdentityResult(IdentityCheck.PASSED)


def _registration_key(value: str) -> str:
    """Compare registration numbers as written in different styles: "SC 123/456" = "sc123456"."""
    return re.sub(r"[\s./-]", "", value).upper()
