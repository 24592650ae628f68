"""Onboarding API, profile side: pre-filling personal and business profiles, directors and UBOs.

Only registration-code tokens (which cover every profile of their user) may create profiles. An
``X-idempotence-uuid`` header makes a repeat return the first answer; without it a second personal
profile, a business with the same registration number, or a director or owner the business already
has (same names and date of birth) is a 409.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from .auth import granted_profile, user_token
from .errors import ApiError, forbidden, validation_error
from .models import AccessToken, Director, Profile, Ubo, User
from .payload import idempotent, json_list, json_object
from .state import emulator
from .ui_flow import past_date
from .views import director_json, profile_v2, ubo_json

bp = Blueprint("wise_onboarding", __name__)

MAX_NAME = 30
ADDRESS_KEYS = (
    "addressFirstLine",
    "city",
    "countryIso2Code",
    "countryIso3Code",
    "postCode",
    "stateCode",
)


class Checker:
    """Collects validation errors in Wise's ``{"errors": [...]}`` shape."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def add(self, code: str, message: str, path: str) -> None:
        """Record one error."""
        self.errors.append({"code": code, "message": message, "path": path, "arguments": []})

    def required(self, data: dict[str, Any], key: str, prefix: str = "") -> Any:
        """Return ``data[key]``, recording NotNull when it is missing or empty."""
        value = data.get(key)
        if value in (None, ""):
            self.add("NotNull", "must not be null", prefix + key)
        return value

    def name(self, data: dict[str, Any], key: str, prefix: str = "") -> str:
        """Return a required name of at most 30 characters."""
        value = self.required(data, key, prefix)
        if isinstance(value, str) and len(value) > MAX_NAME:
            self.add("Size", f"size must be between 1 and {MAX_NAME}", prefix + key)
        return str(value or "")

    def date(
        self, data: dict[str, Any], key: str, *, required: bool, prefix: str = ""
    ) -> str | None:
        """Return a YYYY-MM-DD date in the past, recording an error when it is not one."""
        value = self.required(data, key, prefix) if required else data.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str) or past_date(value) is None:
            self.add("INVALID_DATE", "must be a past date (YYYY-MM-DD)", prefix + key)
            return None
        return value

    def raise_if_any(self) -> None:
        """Raise a 400 with every recorded error."""
        if self.errors:
            raise ApiError(400, {"errors": self.errors})


def address_of(data: dict[str, Any]) -> dict[str, Any] | None:
    """Return the address fields Wise keeps (country code in lower case)."""
    raw = data.get("address")
    if not isinstance(raw, dict):
        return None
    address = {key: raw.get(key) for key in ADDRESS_KEYS}
    if isinstance(address["countryIso3Code"], str):
        address["countryIso3Code"] = address["countryIso3Code"].lower()
    return address


def onboarding_user() -> tuple[AccessToken, User]:
    """Return a registration-code token and its user; scoped tokens get a 403."""
    token, user = user_token()
    if token.profile_ids is not None:
        raise forbidden("Profiles can only be created with a registration_code user token")
    return token, user


def conflict(message: str, path: str) -> ApiError:
    """Build the 409 for a duplicate profile, director or owner."""
    return validation_error(409, "NOT_UNIQUE", message, path)


def person_key(*parts: object) -> tuple[str, ...]:
    """Return what makes two people the same: names and date of birth, case and spacing aside."""
    return tuple(" ".join(str(part or "").split()).casefold() for part in parts)


def refuse_duplicates(known: set[tuple[str, ...]], new: list[tuple[str, ...]], what: str) -> None:
    """Raise the 409 when a new person is already known, or listed twice in the same call."""
    seen = set(known)
    for index, key in enumerate(new):
        if key in seen:
            raise conflict(f"This {what} already exists on the profile", f"[{index}]")
        seen.add(key)


@bp.post("/v2/profiles/personal-profile")
def create_personal_profile() -> Response:
    """Create the user's PERSONAL profile."""
    token, user = onboarding_user()
    data = json_object()
    check = Checker()
    first, last = check.name(data, "firstName"), check.name(data, "lastName")
    date_of_birth = check.date(data, "dateOfBirth", required=True)
    contact = check.required(data, "contactDetails")
    if isinstance(contact, dict):
        check.required(contact, "email", "contactDetails.")
        check.required(contact, "phoneNumber", "contactDetails.")
    check.raise_if_any()
    contact = contact if isinstance(contact, dict) else {}

    def create() -> tuple[int, Any]:
        store = emulator().store
        if any(p.type == "PERSONAL" for p in store.profiles_of(user.id)):
            raise conflict("A personal profile already exists for this user", "type")
        profile = store.add_profile(
            user,
            "PERSONAL",
            first_name=first,
            last_name=last,
            preferred_name=data.get("preferredName"),
            date_of_birth=date_of_birth,
            phone_number=contact.get("phoneNumber"),
            nationality=data.get("nationality"),
            external_customer_id=data.get("externalCustomerId"),
            occupations=list(data.get("occupations") or []),
            address=address_of(data),
        )
        profile.linked_client_ids.add(token.client_id)
        return 200, profile_v2(profile)

    return idempotent(user.id, create)


@bp.post("/v3/profiles/business-profile")
def create_business_profile() -> Response:
    """Create a BUSINESS profile, with its representative when given."""
    token, user = onboarding_user()
    data = json_object()
    check = Checker()
    business_name = check.required(data, "businessName")
    registration_number = check.required(data, "registrationNumber")
    representative = data.get("representative")
    if isinstance(representative, dict):
        check.name(representative, "firstName", "representative.")
        check.name(representative, "lastName", "representative.")
        check.date(representative, "dateOfBirth", required=True, prefix="representative.")
    check.raise_if_any()

    def create() -> tuple[int, Any]:
        store = emulator().store
        wanted = str(registration_number).strip().lower()
        for existing in store.profiles_of(user.id):
            if (existing.registration_number or "").strip().lower() == wanted:
                raise conflict(
                    "A business with this registration number exists", "registrationNumber"
                )
        profile = store.add_profile(
            user,
            "BUSINESS",
            business_name=str(business_name),
            registration_number=str(registration_number),
            company_type=data.get("companyType"),
            company_role=data.get("companyRole"),
            description_of_business=data.get("descriptionOfBusiness"),
            webpage=data.get("webpage"),
            business_category=data.get("businessCategory"),
            business_sub_category=data.get("businessSubCategory"),
            external_customer_id=data.get("externalCustomerId"),
            address=address_of(data),
            representative=representative if isinstance(representative, dict) else None,
        )
        profile.linked_client_ids.add(token.client_id)
        return 200, profile_v2(profile)

    return idempotent(user.id, create)


def business_profile(profile_id: int) -> tuple[User, Profile]:
    """Return the user and a BUSINESS profile this token may change."""
    token, user = user_token()
    profile = granted_profile(token, profile_id)
    if profile.type != "BUSINESS":
        raise validation_error(400, "INVALID", "Profile is not a business profile", "profileId")
    return user, profile


@bp.post("/v1/profiles/<int:profile_id>/directors")
def add_directors(profile_id: int) -> Response:
    """Add directors to a business profile; answers with all of its directors."""
    user, profile = business_profile(profile_id)
    items = json_list()
    check = Checker()
    for index, item in enumerate(items):
        prefix = f"[{index}]."
        check.name(item, "firstName", prefix)
        check.name(item, "lastName", prefix)
        check.date(item, "dateOfBirth", required=False, prefix=prefix)
    check.raise_if_any()

    def create() -> tuple[int, Any]:
        store = emulator().store
        refuse_duplicates(
            {person_key(d.first_name, d.last_name, d.date_of_birth) for d in profile.directors},
            [person_key(i["firstName"], i["lastName"], i.get("dateOfBirth")) for i in items],
            "director",
        )
        for item in items:
            profile.directors.append(
                Director(
                    id=store.small_id(),
                    first_name=item["firstName"],
                    last_name=item["lastName"],
                    date_of_birth=item.get("dateOfBirth"),
                    country_of_residence_iso3_code=item.get("countryOfResidenceIso3Code"),
                )
            )
        profile.updated_at = store.now()
        return 200, [director_json(d) for d in profile.directors]

    return idempotent(user.id, create)


@bp.post("/v1/profiles/<int:profile_id>/ubos")
def add_ubos(profile_id: int) -> Response:
    """Add ultimate beneficial owners to a business profile; answers with all of them."""
    user, profile = business_profile(profile_id)
    items = json_list()
    check = Checker()
    for index, item in enumerate(items):
        prefix = f"[{index}]."
        check.required(item, "name", prefix)
        check.date(item, "dateOfBirth", required=False, prefix=prefix)
        share = item.get("ownershipPercentage")
        if share is not None and (not isinstance(share, int) or not 0 <= share <= 100):
            check.add("INVALID", "must be between 0 and 100", prefix + "ownershipPercentage")
    check.raise_if_any()

    def create() -> tuple[int, Any]:
        store = emulator().store
        refuse_duplicates(
            {person_key(u.name, u.date_of_birth) for u in profile.ubos},
            [person_key(i["name"], i.get("dateOfBirth")) for i in items],
            "owner",
        )
        for item in items:
            profile.ubos.append(
                Ubo(
                    id=store.small_id(),
                    name=str(item["name"]),
                    date_of_birth=item.get("dateOfBirth"),
                    country_of_residence_iso3_code=item.get("countryOfResidenceIso3Code"),
                    address_first_line=item.get("addressFirstLine"),
                    post_code=item.get("postCode"),
                    ownership_percentage=item.get("ownershipPercentage"),
                )
            )
        profile.updated_at = store.now()
        return 200, [ubo_json(u) for u in profile.ubos]

    return idempotent(user.id, create)
