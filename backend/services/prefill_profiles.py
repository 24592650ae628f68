"""Prefill mode, second half: the customer's profiles at Wise, in Wise's own field names.

A personal customer gets ``POST /v2/profiles/personal-profile``. A business gets, depending on
``ONBOARDING_WISE_BUSINESS_PROFILE_API``:

- ``v2`` (Wise's current advice): the representative's personal profile, then
  ``POST /v2/profiles/business-profile``;
- ``v3`` (a beta Wise announced it will deprecate): ``POST /v3/profiles/business-profile`` with
  the representative in the same body.

Then its directors and owners. Profile calls carry an ``X-idempotence-uuid`` derived from the
customer's seed and the call, so a retry never creates a second profile. Wise documents no such
header for directors and UBOs, so each of those calls first reads the list Wise holds and adds
only the people missing from it: a retry after a lost answer finds them there and adds nobody.
A call Wise refuses (4xx) is recorded and skipped, as Wise asks the customer for that data itself.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any

from backend.context import Context
from backend.models import (
    BusinessPrefill,
    BusinessRepresentativePrefill,
    DirectorPrefill,
    OnboardingSession,
    PersonalPrefill,
    Prefill,
    PrefillAccount,
    PrefillAddress,
    UboPrefill,
)
from backend.wise import WiseApiError
from backend.wise.client import api_error_codes
from backend.wise.retry import Budget

logger = logging.getLogger(__name__)

PEOPLE = ("directors", "ubos")


def create_profiles(
    *,
    ctx: Context,
    budget: Budget,
    access_token: str,
    account: PrefillAccount,
    session: OnboardingSession,
    data: Prefill,
) -> list[dict[str, Any]]:
    """Create the profile(s); return the calls Wise refused. Transient failures propagate."""
    calls = _Calls(ctx, budget, access_token, uuid.UUID(account.idempotence_seed))
    if isinstance(data, PersonalPrefill):
        try:
            calls.profile("personal", "personal_profile", personal_body(session, data))
        except WiseApiError as exc:
            return [refused("personal_profile", exc)]
        return []

    errors: list[dict[str, Any]] = []
    v3 = ctx.settings.wise_business_profile_api == "v3"
    if not v3:
        body = representative_body(session, data.business_representative)
        try:
            calls.profile("personal", "representative_profile", body)
        except WiseApiError as exc:
            errors.append(refused("representative_profile", exc))
            # A 409 means the account already has its personal profile: the business can follow.
            if exc.status != 409:
                skipped = {
                    "call": "business_profile",
                    "status": None,
                    "codes": ["skipped_without_representative_profile"],
                }
                return [*errors, skipped, *skipped_people(data)]
    try:
        answer = calls.profile(
            "business_v3" if v3 else "business_v2",
            "business_profile",
            business_body(session, data, with_representative=v3),
        )
    except WiseApiError as exc:
        return [*errors, refused("business_profile", exc), *skipped_people(data)]
    profile_id = _id_of(answer) or calls.find_business(data)
    if profile_id is None:
        # Recorded, not raised: a retry would replay the same answer (same idempotence uuid), so
        # raising would turn every later launch into a 503. The customer completes it at Wise.
        logger.warning("prefill: Wise's business profile answer has no id, and none was found")
        problem = {"call": "business_profile", "status": None, "codes": ["answer_without_id"]}
        return [*errors, problem, *skipped_people(data)]
    for kind, items in (
        ("directors", [director_body(d) for d in data.directors]),
        ("ubos", [ubo_body(u) for u in data.ubos]),
    ):
        if items:
            try:
                calls.add_missing_people(profile_id, kind, items)
            except WiseApiError as exc:
                errors.append(refused(kind, exc))
    return errors


class _Calls:
    """The Wise calls of one preparation, each retried within the launch's time budget."""

    def __init__(self, ctx: Context, budget: Budget, access_token: str, seed: uuid.UUID) -> None:
        self.wise = ctx.wise
        self.budget = budget
        self.token = access_token
        self.seed = seed

    def profile(self, kind: Any, call: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create one profile; the same customer account and call always send the same uuid."""
        return self.budget.call(
            lambda timeout: self.wise.create_profile(
                kind=kind,
                access_token=self.token,
                body=body,
                idempotence_uuid=str(uuid.uuid5(self.seed, call)),
                timeout=timeout,
            ),
            what=f"Wise {call}",
        )

    def find_business(self, data: BusinessPrefill) -> int | None:
        """The business profile's id from ``GET /v2/profiles``, when the create answer had none."""
        try:
            profiles = self.budget.call(
                lambda timeout: self.wise.list_profiles(access_token=self.token, timeout=timeout),
                what="Wise profile list",
            )
        except WiseApiError:
            return None
        for profile in profiles:
            if not isinstance(profile, dict) or str(profile.get("type")).upper() != "BUSINESS":
                continue
            same_number = data.registration_number is not None and _same(
                profile.get("registrationNumber"), data.registration_number
            )
            same_name = data.registration_number is None and _same(
                profile.get("businessName"), data.business_name
            )
            if same_number or same_name:
                return _id_of(profile)
        return None

    def add_missing_people(self, profile_id: int, kind: str, wanted: list[dict[str, Any]]) -> None:
        """Read who Wise holds, then add only the others; the pair is retried as one step."""

        def attempt(timeout: float) -> object:
            present = self.wise.business_people(
                access_token=self.token, profile_id=profile_id, kind=kind, timeout=timeout
            )
            missing = missing_people(kind, wanted, present)
            if not missing:
                return present
            return self.wise.add_business_people(
                access_token=self.token,
                profile_id=profile_id,
                kind=kind,
                people=missing,
                timeout=timeout,
            )

        self.budget.call(attempt, what=f"Wise {kind}")


def missing_people(
    kind: str, wanted: list[dict[str, Any]], present: list[Any]
) -> list[dict[str, Any]]:
    """The people of ``wanted`` Wise does not hold yet, each person counted once per listing.

    People are the same when their names and date of birth match, case and spacing aside.
    """
    held = Counter(person_key(kind, p) for p in present if isinstance(p, Mapping))
    missing = []
    for person in wanted:
        key = person_key(kind, person)
        if held[key]:
            held[key] -= 1
        else:
            missing.append(person)
    return missing


def person_key(kind: str, person: Mapping[str, Any]) -> tuple[str, ...]:
    """What identifies a director (names, date of birth) or an owner (name, date of birth)."""
    if kind == "directors":
        fields: tuple[str, ...] = ("firstName", "lastName", "dateOfBirth")
    else:
        fields = ("name", "dateOfBirth")
    return tuple(" ".join(str(person.get(f) or "").split()).casefold() for f in fields)


def skipped_people(data: BusinessPrefill) -> list[dict[str, Any]]:
    """Directors and owners that were not sent because the business profile is missing."""
    people = (("directors", data.directors), ("ubos", data.ubos))
    return [
        {"call": kind, "status": None, "codes": ["skipped_without_business_profile"]}
        for kind, items in people
        if items
    ]


def refused(call: str, exc: WiseApiError) -> dict[str, Any]:
    """A refused call as recorded on the session: which call, the status and Wise's codes."""
    logger.info("prefill: Wise refused %s (%s)", call, exc.status)
    return {"call": call, "status": exc.status, "codes": api_error_codes(exc.body)}


def _id_of(body: object) -> int | None:
    try:
        value = int(body["id"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def _same(value: object, wanted: str) -> bool:
    return isinstance(value, str) and value.strip().casefold() == wanted.strip().casefold()


# -- request bodies, in Wise's field names -----------------------------------------------------


def personal_body(session: OnboardingSession, data: PersonalPrefill) -> dict[str, Any]:
    """``POST /v2/profiles/personal-profile`` for a personal customer."""
    dob = session.customer_date_of_birth
    return _compact(
        {
            "firstName": data.first_name,
            "lastName": data.last_name,
            "preferredName": data.preferred_name,
            "dateOfBirth": dob.isoformat() if dob else None,
            "nationality": data.nationality,
            "externalCustomerId": session.customer_external_id,
            "address": address_body(data.address),
            "contactDetails": {"email": session.customer_email, "phoneNumber": data.phone_number},
            "occupations": (
                [{"code": data.occupation, "format": "FREE_FORM"}] if data.occupation else None
            ),
        }
    )


def representative_body(
    session: OnboardingSession, person: BusinessRepresentativePrefill
) -> dict[str, Any]:
    """The representative as a person: v2's personal profile, or v3's ``businessRepresentative``."""
    if person.business_representative_id is not None:
        return {"businessRepresentativeId": person.business_representative_id}
    return _compact(
        {
            "firstName": person.first_name,
            "lastName": person.last_name,
            "preferredName": person.preferred_name,
            "dateOfBirth": person.date_of_birth,
            "address": address_body(person.address),
            "contactDetails": {
                "email": person.email or session.customer_email,
                "phoneNumber": person.phone_number,
            },
        }
    )


def business_body(
    session: OnboardingSession, data: BusinessPrefill, *, with_representative: bool
) -> dict[str, Any]:
    """``POST /v2/profiles/business-profile``, or v3's with ``businessRepresentative``."""
    body = _compact(
        {
            "businessName": data.business_name,
            "registrationNumber": data.registration_number,
            "companyType": data.company_type,
            "companyRole": data.company_role,
            "firstLevelCategory": data.first_level_category,
            "secondLevelCategory": data.second_level_category,
            "webpage": data.webpage,
            "businessFreeFormDescription": data.business_free_form_description,
            "externalCustomerId": session.customer_external_id,
            "address": address_body(data.address),
            "operationalAddresses": [address_body(a) for a in data.operational_addresses] or None,
        }
    )
    if with_representative:
        body["businessRepresentative"] = representative_body(session, data.business_representative)
    return body


def director_body(director: DirectorPrefill) -> dict[str, Any]:
    """One item of ``POST /v1/profiles/{id}/directors``."""
    return _compact(
        {
            "firstName": director.first_name,
            "lastName": director.last_name,
            "dateOfBirth": director.date_of_birth,
            "countryOfResidenceIso3Code": director.country_of_residence,
        }
    )


def ubo_body(ubo: UboPrefill) -> dict[str, Any]:
    """One item of ``POST /v1/profiles/{id}/ubos``."""
    return _compact(
        {
            "name": ubo.name,
            "dateOfBirth": ubo.date_of_birth,
            "countryOfResidenceIso3Code": ubo.country_of_residence,
            "addressFirstLine": ubo.address_first_line,
            "postCode": ubo.post_code,
            "ownershipPercentage": ubo.ownership_percentage,
        }
    )


def address_body(address: PrefillAddress | None) -> dict[str, Any] | None:
    """An address in Wise's shape (the country in lower case, as Wise asks)."""
    if address is None:
        return None
    return _compact(
        {
            "addressFirstLine": address.first_line,
            "city": address.city,
            "postCode": address.post_code,
            "countryIso3Code": address.country,
            "stateCode": address.state_code,
        }
    )


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
