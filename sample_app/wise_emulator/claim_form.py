"""The claim flow's review form: the pre-filled data as labelled inputs, checked and saved back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Director, Profile, Ubo
from .state import emulator
from .ui_flow import past_date


@dataclass
class Field:
    """One labelled input of the review form."""

    name: str
    label: str
    value: str
    type: str = "text"
    required: bool = True


@dataclass
class Section:
    """A fieldset of the review form; its legend names the group for assistive technology."""

    legend: str
    fields: list[Field]


def _address_fields(prefix: str, address: dict[str, Any] | None) -> list[Field]:
    address = address or {}
    return [
        Field(f"{prefix}-address_first_line", "Address", address.get("addressFirstLine") or ""),
        Field(f"{prefix}-city", "City", address.get("city") or ""),
        Field(f"{prefix}-post_code", "Postcode", address.get("postCode") or ""),
        Field(f"{prefix}-country", "Country code", address.get("countryIso3Code") or ""),
        Field(f"{prefix}-state_code", "State code", address.get("stateCode") or "", required=False),
    ]


def _occupation(item: object) -> dict[str, Any]:
    """Return one stored occupation as Wise's ``{code, format}`` (the API stores what it got)."""
    if isinstance(item, dict):
        return item
    return {"code": "" if item is None else str(item), "format": "FREE_FORM"}


def _occupation_fields(prefix: str, occupations: list[dict[str, Any]]) -> list[Field]:
    """One input per occupation the partner sent, or one empty input when it sent none."""
    codes = [str(_occupation(item).get("code") or "") for item in occupations] or [""]
    return [
        Field(
            f"{prefix}-occupation-{index}",
            "Occupation" if len(codes) == 1 else f"Occupation {index + 1}",
            code,
            required=False,
        )
        for index, code in enumerate(codes)
    ]


def _personal_fields(prefix: str, profile: Profile) -> list[Field]:
    """Every personal detail a partner can pre-fill (the Onboarding API's personal-profile body)."""
    return [
        Field(f"{prefix}-first_name", "First name", profile.first_name or ""),
        Field(f"{prefix}-last_name", "Last name", profile.last_name or ""),
        Field(
            f"{prefix}-preferred_name",
            "Preferred name",
            profile.preferred_name or "",
            required=False,
        ),
        Field(f"{prefix}-date_of_birth", "Date of birth", profile.date_of_birth or "", "date"),
        Field(f"{prefix}-phone_number", "Phone number", profile.phone_number or "", "tel"),
        Field(f"{prefix}-nationality", "Nationality", profile.nationality or "", required=False),
        *_occupation_fields(prefix, profile.occupations),
    ]


def _director_fields(director: Director) -> list[Field]:
    """Everything the directors call stores about one director."""
    prefix = f"d{director.id}"
    return [
        Field(f"{prefix}-first_name", "First name", director.first_name),
        Field(f"{prefix}-last_name", "Last name", director.last_name),
        Field(f"{prefix}-date_of_birth", "Date of birth", director.date_of_birth or "", "date"),
        Field(
            f"{prefix}-country_of_residence",
            "Country of residence",
            director.country_of_residence_iso3_code or "",
            required=False,
        ),
    ]


def _owner_fields(ubo: Ubo) -> list[Field]:
    """Everything the UBO call stores about one owner."""
    prefix = f"u{ubo.id}"
    share = "" if ubo.ownership_percentage is None else str(ubo.ownership_percentage)
    return [
        Field(f"{prefix}-name", "Full name", ubo.name),
        Field(f"{prefix}-date_of_birth", "Date of birth", ubo.date_of_birth or "", "date"),
        Field(
            f"{prefix}-country_of_residence",
            "Country of residence",
            ubo.country_of_residence_iso3_code or "",
            required=False,
        ),
        Field(
            f"{prefix}-address_first_line",
            "Address",
            ubo.address_first_line or "",
            required=False,
        ),
        Field(f"{prefix}-post_code", "Postcode", ubo.post_code or "", required=False),
        Field(f"{prefix}-ownership_percentage", "Ownership (%)", share, "number"),
    ]


def review_sections(profiles: list[Profile]) -> list[Section]:
    """Build the review form from what the partner uploaded."""
    if not profiles:
        # The partner's profile calls failed or never happened: ask for the missing details.
        return [
            Section(
                "Personal details",
                [
                    Field("new-first_name", "First name", ""),
                    Field("new-last_name", "Last name", ""),
                    Field("new-date_of_birth", "Date of birth", "", "date"),
                ],
            )
        ]
    sections: list[Section] = []
    for profile in profiles:
        prefix = f"p{profile.id}"
        if profile.type == "PERSONAL":
            fields = _personal_fields(prefix, profile)
            sections.append(
                Section("Personal details", fields + _address_fields(prefix, profile.address))
            )
            continue
        fields = [
            Field(f"{prefix}-business_name", "Business name", profile.business_name or ""),
            Field(
                f"{prefix}-registration_number",
                "Registration number",
                profile.registration_number or "",
            ),
            Field(
                f"{prefix}-company_type", "Company type", profile.company_type or "", required=False
            ),
        ]
        sections.append(
            Section("Business details", fields + _address_fields(prefix, profile.address))
        )
        for number, director in enumerate(profile.directors, start=1):
            sections.append(Section(f"Director {number}", _director_fields(director)))
        for number, ubo in enumerate(profile.ubos, start=1):
            sections.append(Section(f"Owner {number}", _owner_fields(ubo)))
    return sections


def check_form(sections: list[Section], form: dict[str, str]) -> str | None:
    """Return the first problem with the submitted review form, or None."""
    for section in sections:
        for field in section.fields:
            value = form.get(field.name, "").strip()
            field.value = value
            if field.required and not value:
                return f"{section.legend}: enter the {field.label.lower()}."
            if field.type == "date" and value and past_date(value) is None:
                return f"{section.legend}: enter a valid {field.label.lower()}."
            if field.type == "number" and value and not (value.isdigit() and int(value) <= 100):
                return f"{section.legend}: enter a percentage between 0 and 100."
    return None


def apply_review(user_id: int, profiles: list[Profile], form: dict[str, str]) -> None:
    """Save the reviewed values on profiles, directors and owners (the caller holds the lock)."""
    store = emulator().store
    value = {key: item.strip() for key, item in form.items()}
    if not profiles:
        store.add_personal_profile(
            store.users[user_id],
            first_name=value["new-first_name"],
            last_name=value["new-last_name"],
            date_of_birth=value["new-date_of_birth"],
        )
        return
    for profile in profiles:
        prefix = f"p{profile.id}"
        if profile.type == "PERSONAL":
            _save_personal(profile, prefix, value)
        else:
            profile.business_name = value[f"{prefix}-business_name"]
            profile.registration_number = value[f"{prefix}-registration_number"]
            profile.company_type = value.get(f"{prefix}-company_type") or None
            for director in profile.directors:
                _save_director(director, value)
            for ubo in profile.ubos:
                _save_owner(ubo, value)
        profile.address = {
            **(profile.address or {}),
            "addressFirstLine": value[f"{prefix}-address_first_line"],
            "city": value[f"{prefix}-city"],
            "postCode": value[f"{prefix}-post_code"],
            "countryIso3Code": value[f"{prefix}-country"].lower(),
            "stateCode": value.get(f"{prefix}-state_code") or None,
        }
        profile.updated_at = store.now()


def _save_personal(profile: Profile, prefix: str, value: dict[str, str]) -> None:
    """Save the reviewed personal details; an optional field left empty is cleared."""
    profile.first_name = value[f"{prefix}-first_name"]
    profile.last_name = value[f"{prefix}-last_name"]
    profile.preferred_name = value.get(f"{prefix}-preferred_name") or None
    profile.date_of_birth = value[f"{prefix}-date_of_birth"]
    profile.phone_number = value[f"{prefix}-phone_number"]
    profile.nationality = value.get(f"{prefix}-nationality") or None
    occupations: list[dict[str, Any]] = []
    # Edit each occupation in place so its other keys (Wise's "format") are kept.
    for index, item in enumerate(profile.occupations or [{"format": "FREE_FORM"}]):
        code = value.get(f"{prefix}-occupation-{index}")
        if code:
            occupations.append({**_occupation(item), "code": code})
    profile.occupations = occupations


def _save_director(director: Director, value: dict[str, str]) -> None:
    """Save one reviewed director."""
    prefix = f"d{director.id}"
    director.first_name = value[f"{prefix}-first_name"]
    director.last_name = value[f"{prefix}-last_name"]
    director.date_of_birth = value[f"{prefix}-date_of_birth"]
    country = value.get(f"{prefix}-country_of_residence")
    director.country_of_residence_iso3_code = country.lower() if country else None


def _save_owner(ubo: Ubo, value: dict[str, str]) -> None:
    """Save one reviewed owner."""
    prefix = f"u{ubo.id}"
    ubo.name = value[f"{prefix}-name"]
    ubo.date_of_birth = value[f"{prefix}-date_of_birth"]
    country = value.get(f"{prefix}-country_of_residence")
    ubo.country_of_residence_iso3_code = country.lower() if country else None
    ubo.address_first_line = value.get(f"{prefix}-address_first_line") or None
    ubo.post_code = value.get(f"{prefix}-post_code") or None
    ubo.ownership_percentage = int(value[f"{prefix}-ownership_percentage"])
