"""Claiming a partner-created account: set a password, then review and edit the pre-filled data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .models import Flow, Profile
from .state import emulator
from .store import hash_secret
from .ui_flow import current_flow, page, past_date
from .ui_signup import MIN_PASSWORD_LENGTH

bp = Blueprint("wise_claim", __name__)


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
            fields = [
                Field(f"{prefix}-first_name", "First name", profile.first_name or ""),
                Field(f"{prefix}-last_name", "Last name", profile.last_name or ""),
                Field(
                    f"{prefix}-date_of_birth", "Date of birth", profile.date_of_birth or "", "date"
                ),
            ]
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
            sections.append(
                Section(
                    f"Director {number}",
                    [
                        Field(f"d{director.id}-first_name", "First name", director.first_name),
                        Field(f"d{director.id}-last_name", "Last name", director.last_name),
                        Field(
                            f"d{director.id}-date_of_birth",
                            "Date of birth",
                            director.date_of_birth or "",
                            "date",
                        ),
                    ],
                )
            )
        for number, ubo in enumerate(profile.ubos, start=1):
            sections.append(
                Section(
                    f"Owner {number}",
                    [
                        Field(f"u{ubo.id}-name", "Full name", ubo.name),
                        Field(
                            f"u{ubo.id}-date_of_birth",
                            "Date of birth",
                            ubo.date_of_birth or "",
                            "date",
                        ),
                        Field(
                            f"u{ubo.id}-ownership_percentage",
                            "Ownership (%)",
                            ""
                            if ubo.ownership_percentage is None
                            else str(ubo.ownership_percentage),
                            "number",
                        ),
                    ],
                )
            )
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
            profile.first_name = value[f"{prefix}-first_name"]
            profile.last_name = value[f"{prefix}-last_name"]
            profile.date_of_birth = value[f"{prefix}-date_of_birth"]
        else:
            profile.business_name = value[f"{prefix}-business_name"]
            profile.registration_number = value[f"{prefix}-registration_number"]
            profile.company_type = value.get(f"{prefix}-company_type") or None
            for director in profile.directors:
                director.first_name = value[f"d{director.id}-first_name"]
                director.last_name = value[f"d{director.id}-last_name"]
                director.date_of_birth = value[f"d{director.id}-date_of_birth"]
            for ubo in profile.ubos:
                ubo.name = value[f"u{ubo.id}-name"]
                ubo.date_of_birth = value[f"u{ubo.id}-date_of_birth"]
                ubo.ownership_percentage = int(value[f"u{ubo.id}-ownership_percentage"])
        profile.address = {
            **(profile.address or {"stateCode": None}),
            "addressFirstLine": value[f"{prefix}-address_first_line"],
            "city": value[f"{prefix}-city"],
            "postCode": value[f"{prefix}-post_code"],
            "countryIso3Code": value[f"{prefix}-country"].lower(),
        }
        profile.updated_at = store.now()


def claim_flow() -> tuple[Flow, int]:
    """Return the flow and the user it claims; flows without a claim code go to the log-in page."""
    flow = current_flow()
    if flow.claim_user_id is None:
        raise LookupError("not a claim flow")
    return flow, flow.claim_user_id


@bp.route("/oauth/authorize/claim/password", methods=["GET", "POST"])
def claim_password() -> ResponseReturnValue:
    """Let the customer choose the password of the account the partner created."""
    try:
        flow, user_id = claim_flow()
    except LookupError:
        return redirect(url_for("wise_ui.login"))
    store = emulator().store
    email = store.users[user_id].email
    if request.method == "GET":
        return page("claim_password.html", "Finish setting up your Wise account", email=email)
    password = request.form.get("password", "")
    error = None
    if len(password) < MIN_PASSWORD_LENGTH:
        error = f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    elif request.form.get("confirm", "") != password:
        error = "The two passwords are different."
    if error:
        return (
            page(
                "claim_password.html",
                "Finish setting up your Wise account",
                email=email,
                error=error,
            ),
            400,
        )
    with store.lock:
        user = store.users[user_id]
        user.password_hash = hash_secret(password)
        # From now on the account is the customer's: the registration code stops working.
        user.claimed = True
        flow.claim_password_set = True
        flow.user_id = user_id
        flow.two_factor_passed = False
    return redirect(url_for("wise_ui.two_factor"))


@bp.route("/oauth/authorize/claim/review", methods=["GET", "POST"])
def claim_review() -> ResponseReturnValue:
    """Show the data the partner uploaded and let the customer correct it."""
    try:
        flow, user_id = claim_flow()
    except LookupError:
        return redirect(url_for("wise_ui.login"))
    if not flow.claim_password_set or not flow.two_factor_passed:
        return redirect(url_for(".claim_password"))
    store = emulator().store
    title = "Check your details"
    with store.lock:
        profiles = store.profiles_of(user_id)
        sections = review_sections(profiles)
    if request.method == "GET":
        return page("claim_review.html", title, sections=sections)
    form = {key: value for key, value in request.form.items()}
    error = check_form(sections, form)
    if error:
        return page("claim_review.html", title, sections=sections, error=error), 400
    with store.lock:
        apply_review(user_id, store.profiles_of(user_id), form)
        flow.claim_reviewed = True
    return redirect(url_for("wise_ui.consent"))
