"""Onboarding API, profile side: pre-filling personal and business profiles, directors and UBOs.

Only registration-code tokens (which cover every profile of their user) may create profiles.
Bodies are checked against Wise's reference (``profile_rules``). Profile creation honours
``X-idempotence-uuid`` as Wise documents: a repeat returns the first answer; without it a second
personal profile, or a business with the same registration number, is a 409. Wise documents no
idempotence header for directors and UBOs, so none is honoured there: every POST adds the people
it lists, as Wise's "Adds new directors" says, and a partner retrying blindly adds them twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .auth import granted_profile, user_token
from .errors import ApiError, forbidden, validation_error
from .models import AccessToken, Director, Profile, Ubo, User
from .payload import idempotent, json_list, json_object
from .profile_rules import check_business, check_personal
from .state import emulator
from .views import director_json, profile_v2, ubo_json

bp = Blueprint("wise_onboarding", __name__)

ADDRESS_KEYS = (
    "addressFirstLine",
    "city",
    "countryIso2Code",
    "countryIso3Code",
    "postCode",
    "stateCode",
)


def address_of(raw: object) -> dict[str, Any] | None:
    """Return the address fields Wise keeps."""
    if not isinstance(raw, dict):
        return None
    return {key: raw.get(key) for key in ADDRESS_KEYS}


def onboarding_user() -> tuple[AccessToken, User]:
    """Return a registration-code token and its user; scoped tokens get a 403."""
    token, user = user_token()
    if token.profile_ids is not None:
        raise forbidden("Profiles can only be created with a registration_code user token")
    return token, user


def conflict(message: str, path: str) -> ApiError:
    """Build the 409 for a duplicate profile."""
    return validation_error(409, "NOT_UNIQUE", message, path)


def person_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A person's details from a personal-profile (or representative) body."""
    contact = data.get("contactDetails") if isinstance(data.get("contactDetails"), dict) else {}
    return {
        "first_name": data.get("firstName"),
        "last_name": data.get("lastName"),
        "preferred_name": data.get("preferredName"),
        "date_of_birth": data.get("dateOfBirth"),
        "phone_number": (contact or {}).get("phoneNumber"),
        "address": address_of(data.get("address")),
    }


@bp.post("/v2/profiles/personal-profile")
def create_personal_profile() -> Response:
    """Create the user's PERSONAL profile."""
    token, user = onboarding_user()
    data = json_object()
    check_personal(data)

    def create() -> tuple[int, Any]:
        store = emulator().store
        if any(p.type == "PERSONAL" for p in store.profiles_of(user.id)):
            raise conflict("A personal profile already exists for this user", "type")
        profile = store.add_profile(
            user,
            "PERSONAL",
            **person_fields(data),
            nationality=data.get("nationality"),
            external_customer_id=data.get("externalCustomerId"),
            occupations=list(data.get("occupations") or []),
        )
        profile.linked_client_ids.add(token.client_id)
        return 200, profile_v2(profile)

    return idempotent(user.id, create)


@bp.post("/v2/profiles/business-profile")
def create_business_profile_v2() -> Response:
    """Create a BUSINESS profile of a user who already has a personal profile."""
    token, user = onboarding_user()
    data = json_object()
    check_business(data, version=2)

    def create() -> tuple[int, Any]:
        # "It is currently not possible to create a business profile without first creating a
        # personal profile" (the authorized representative's).
        if not any(p.type == "PERSONAL" for p in emulator().store.profiles_of(user.id)):
            raise validation_error(
                400,
                "api.personalProfile.missing",
                "Create the personal profile of the business representative first",
                "type",
            )
        return 200, profile_v2(add_business(token, user, data, representative=None))

    return idempotent(user.id, create)


@bp.post("/v3/profiles/business-profile")
def create_business_profile_v3() -> Response:
    """Create a BUSINESS profile and its authorized representative in one request (beta)."""
    token, user = onboarding_user()
    data = json_object()
    check_business(data, version=3)

    def create() -> tuple[int, Any]:
        representative = representative_of(user, data["businessRepresentative"])
        profile = add_business(token, user, data, representative=representative)
        # Wise documents this answer as "200 Created business profile." without a body schema.
        if emulator().store.switches.business_profile_v3_answer == "empty":
            return 200, {}
        return 200, profile_v2(profile)

    return idempotent(user.id, create)


def representative_of(user: User, given: dict[str, Any]) -> dict[str, Any]:
    """The representative a v3 body names: a new one, or one of the user's earlier ones."""
    store = emulator().store
    wanted = given.get("businessRepresentativeId")
    if wanted is None:
        return {"id": store.small_id(), **given}
    for profile in store.profiles_of(user.id):
        if profile.representative and profile.representative.get("id") == wanted:
            return profile.representative
    raise validation_error(
        404, "NOT_FOUND", "Business representative not found", "businessRepresentativeId"
    )


def add_business(
    token: AccessToken, user: User, data: dict[str, Any], *, representative: dict[str, Any] | None
) -> Profile:
    """Store a checked business body as a new BUSINESS profile (the caller holds the lock)."""
    store = emulator().store
    number = str(data.get("registrationNumber") or "").strip().lower()
    for existing in store.profiles_of(user.id):
        if number and (existing.registration_number or "").strip().lower() == number:
            raise conflict("A business with this registration number exists", "registrationNumber")
    operational = data.get("operationalAddresses") or []
    profile = store.add_profile(
        user,
        "BUSINESS",
        business_name=str(data["businessName"]),
        registration_number=data.get("registrationNumber"),
        company_type=data.get("companyType"),
        company_role=data.get("companyRole"),
        webpage=data.get("webpage"),
        business_free_form_description=data.get("businessFreeFormDescription"),
        first_level_category=data.get("firstLevelCategory"),
        second_level_category=data.get("secondLevelCategory"),
        industry_categories=data.get("industryCategories"),
        operational_addresses=[a for a in map(address_of, operational) if a is not None],
        external_customer_id=data.get("externalCustomerId"),
        address=address_of(data.get("address")),
        representative=representative,
    )
    profile.linked_client_ids.add(token.client_id)
    return profile


def business_profile(profile_id: int) -> Profile:
    """Return a BUSINESS profile this token may change."""
    token, _ = user_token()
    profile = granted_profile(token, profile_id)
    if profile.type != "BUSINESS":
        raise validation_error(400, "INVALID", "Profile is not a business profile", "profileId")
    return profile


def checked_people(kind: str) -> list[dict[str, Any]]:
    """The body of a directors or UBOs call: a JSON array of people, each checked."""
    items = json_list()
    errors: list[dict[str, Any]] = []

    def problem(code: str, message: str, path: str) -> None:
        errors.append({"code": code, "message": message, "path": path, "arguments": []})

    for index, item in enumerate(items):
        prefix = f"[{index}]."
        if not item:
            # "Submitting a blank UBO object will result in the 400 error."
            raise ApiError(
                400, {"errors": [{"code": "BAD_REQUEST", "message": "ApiError", "arguments": []}]}
            )
        names = ("firstName", "lastName") if kind == "directors" else ("name",)
        for name in names:
            if not isinstance(item.get(name), str) or not item[name].strip():
                problem("NotNull", "must not be null", prefix + name)
        share = item.get("ownershipPercentage")
        if share is not None and (not isinstance(share, int) or not 0 <= share <= 100):
            problem("INVALID", "must be between 0 and 100", prefix + "ownershipPercentage")
    if errors:
        raise ApiError(400, {"errors": errors})
    return items


def new_director(item: dict[str, Any]) -> Director:
    """A director with a new integer id."""
    return Director(
        id=emulator().store.small_id(),
        first_name=item["firstName"],
        last_name=item["lastName"],
        date_of_birth=item.get("dateOfBirth"),
        country_of_residence_iso3_code=item.get("countryOfResidenceIso3Code"),
    )


def new_ubo(item: dict[str, Any]) -> Ubo:
    """An owner with a new id of 32 hex characters, as Wise's are."""
    return Ubo(
        id=uuid.uuid4().hex,
        name=str(item["name"]),
        date_of_birth=item.get("dateOfBirth"),
        country_of_residence_iso3_code=item.get("countryOfResidenceIso3Code"),
        address_first_line=item.get("addressFirstLine"),
        post_code=item.get("postCode"),
        ownership_percentage=item.get("ownershipPercentage"),
    )


@bp.route("/v1/profiles/<int:profile_id>/directors", methods=["POST", "PUT"])
def change_directors(profile_id: int) -> Response:
    """POST adds the directors listed; PUT replaces them all. Answers with all directors."""
    profile = business_profile(profile_id)
    items = checked_people("directors")
    store = emulator().store
    with store.lock:
        added = [new_director(item) for item in items]
        profile.directors = added if request.method == "PUT" else [*profile.directors, *added]
        profile.updated_at = store.now()
        return jsonify([director_json(d) for d in profile.directors])


@bp.route("/v1/profiles/<int:profile_id>/ubos", methods=["POST", "PUT"])
def change_ubos(profile_id: int) -> Response:
    """POST adds the owners listed; PUT replaces them all. Answers with all owners."""
    profile = business_profile(profile_id)
    items = checked_people("ubos")
    store = emulator().store
    with store.lock:
        added = [new_ubo(item) for item in items]
        profile.ubos = added if request.method == "PUT" else [*profile.ubos, *added]
        profile.updated_at = store.now()
        return jsonify([ubo_json(u) for u in profile.ubos])
