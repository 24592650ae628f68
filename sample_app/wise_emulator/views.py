"""JSON shapes of users and profiles, as Wise's API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import Director, Profile, Ubo, User


def local_iso(moment: datetime) -> str:
    """Format like Wise's profile timestamps: ``2023-01-15T10:30:00`` (UTC, no zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def address_json(profile: Profile) -> dict[str, Any] | None:
    """Return the profile's address with an id, as the v2 API shows it."""
    if profile.address is None:
        return None
    return {"id": profile.id + 6_000_000, **profile.address}


def profile_v2(profile: Profile) -> dict[str, Any]:
    """Return a profile in the ``GET /v2/profiles/{id}`` shape."""
    body: dict[str, Any] = {
        "type": profile.type,
        "id": profile.id,
        "publicId": profile.public_id,
        "userId": profile.user_id,
        "address": address_json(profile),
        "email": profile.email,
        "createdAt": local_iso(profile.created_at),
        "updatedAt": local_iso(profile.updated_at),
        "obfuscated": False,
        "currentState": "VISIBLE",
        "contactDetails": {"email": profile.email, "phoneNumber": profile.phone_number},
        "secondaryAddresses": [],
        "fullName": profile.full_name,
    }
    if profile.type == "PERSONAL":
        body.update(
            firstName=profile.first_name,
            lastName=profile.last_name,
            preferredName=profile.preferred_name,
            dateOfBirth=profile.date_of_birth,
            phoneNumber=profile.phone_number,
            nationality=profile.nationality,
            externalCustomerId=profile.external_customer_id,
            occupations=profile.occupations,
        )
    else:
        body.update(
            businessName=profile.business_name,
            registrationNumber=profile.registration_number,
            companyType=profile.company_type,
            companyRole=profile.company_role,
            descriptionOfBusiness=None,
            webpage=profile.webpage,
            businessFreeFormDescription=profile.business_free_form_description,
            firstLevelCategory=profile.first_level_category,
            secondLevelCategory=profile.second_level_category,
            operationalAddresses=profile.operational_addresses,
            externalCustomerId=profile.external_customer_id,
        )
        if profile.industry_categories is not None:
            body["industryCategories"] = profile.industry_categories
    return body


def director_json(director: Director) -> dict[str, Any]:
    """Return a director as ``/v1/profiles/{id}/directors`` does."""
    return {
        "id": director.id,
        "firstName": director.first_name,
        "lastName": director.last_name,
        "dateOfBirth": director.date_of_birth,
        "countryOfResidenceIso3Code": director.country_of_residence_iso3_code,
    }


def ubo_json(ubo: Ubo) -> dict[str, Any]:
    """Return an ultimate beneficial owner as ``/v1/profiles/{id}/ubos`` does."""
    return {
        "id": ubo.id,
        "name": ubo.name,
        "dateOfBirth": ubo.date_of_birth,
        "countryOfResidenceIso3Code": ubo.country_of_residence_iso3_code,
        "addressFirstLine": ubo.address_first_line,
        "postCode": ubo.post_code,
        "ownershipPercentage": ubo.ownership_percentage,
    }


def user_me(user: User, personal: Profile | None) -> dict[str, Any]:
    """Return ``GET /v1/me``; details come from the user, else from the personal profile."""
    first = user.first_name or (personal.first_name if personal else None)
    last = user.last_name or (personal.last_name if personal else None)
    dob = user.date_of_birth or (personal.date_of_birth if personal else None)
    address = personal.address if personal else None
    details: dict[str, Any] | None = None
    if first or last or dob:
        details = {
            "firstName": first,
            "lastName": last,
            "phoneNumber": user.phone_number or (personal.phone_number if personal else None),
            "occupation": None,
            "address": address,
            "dateOfBirth": dob,
            "avatar": None,
            "primaryAddress": address_json(personal) if personal else None,
        }
    name = " ".join(part for part in (first, last) if part) or None
    return {
        "id": user.id,
        "name": name,
        "email": user.email,
        "active": user.active,
        "details": details,
    }


def user_control(user: User, profiles: list[Profile]) -> dict[str, Any]:
    """Return a user with every profile and its data, for the control API."""
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_of_birth": user.date_of_birth,
        "claimed": user.claimed,
        "state": user.state,
        "has_password": user.password_hash is not None,
        "created_by_client_id": user.created_by_client_id,
        "id_document_bytes": user.id_document_bytes,
        "created_at": local_iso(user.created_at),
        "profiles": [
            {
                **profile_v2(p),
                "representative": p.representative,
                "directors": [director_json(d) for d in p.directors],
                "ubos": [ubo_json(u) for u in p.ubos],
                "verification_state": p.verification_state,
                "verification_routes": p.verification_routes,
                "linked_client_ids": sorted(p.linked_client_ids),
            }
            for p in profiles
        ],
    }
