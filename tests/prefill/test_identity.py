"""The identity check after the return: date of birth for people, registration number for firms."""

from __future__ import annotations

from datetime import date

import pytest

from backend.models import FailureReason, IdentityCheck
from backend.services.identity import GrantedProfile, check_identity
from sample_app.wise_emulator import EmulatorControl
from tests.prefill.conftest import CLIENT_ID, PrefillKit, query_of
from tests.support.factories import session_body

# The emulator's demo user alan@example.com has a personal profile and this business profile.
ALAN_REGISTRATION = "07209813"


def business(registration_number: str | None) -> GrantedProfile:
    return GrantedProfile(
        id=1,
        type="business",
        user_id=2,
        date_of_birth=None,
        registration_number=registration_number,
    )


@pytest.mark.parametrize(
    ("held", "at_wise", "check", "failure"),
    [
        ("07209813", "07209813", IdentityCheck.PASSED, None),
        ("07 209 813", "07209813", IdentityCheck.PASSED, None),
        ("sc-123/456", "SC123456", IdentityCheck.PASSED, None),
        ("07209813", "7209813", IdentityCheck.FAILED, FailureReason.IDENTITY_MISMATCH),
        ("07209813", None, IdentityCheck.FAILED, FailureReason.IDENTITY_MISMATCH),
        (None, "07209813", IdentityCheck.NOT_APPLICABLE, None),
        (None, None, IdentityCheck.NOT_APPLICABLE, None),
    ],
)
def test_business_profiles_are_checked_by_registration_number(
    held: str | None, at_wise: str | None, check: IdentityCheck, failure: FailureReason | None
) -> None:
    result = check_identity(
        profile=business(at_wise),
        customer_type="business",
        customer_date_of_birth=None,
        customer_registration_number=held,
    )
    assert (result.check, result.failure) == (check, failure)


def test_personal_profiles_are_checked_by_date_of_birth() -> None:
    profile = GrantedProfile(id=1, type="personal", user_id=2, date_of_birth="1990-04-01")

    def check(held: date) -> IdentityCheck:
        return check_identity(
            profile=profile,
            customer_type="personal",
            customer_date_of_birth=held,
            customer_registration_number=None,
        ).check

    assert check(date(1990, 4, 1)) == IdentityCheck.PASSED
    assert check(date(1990, 4, 2)) == IdentityCheck.FAILED


def test_the_registration_number_is_read_from_v2_and_v1_profiles() -> None:
    v2 = GrantedProfile.parse({"id": 5, "type": "BUSINESS", "registrationNumber": "07209813"})
    v1 = GrantedProfile.parse({"id": 5, "type": "business", "details": {"registrationNumber": "1"}})
    assert v2 is not None
    assert v1 is not None
    assert (v2.registration_number, v1.registration_number) == ("07209813", "1")


def link_alan_business(
    prefill_kit: PrefillKit, wise: EmulatorControl, **customer: object
) -> tuple[str, dict[str, str]]:
    """Link Alan's business profile in link mode; return the session id and the return query."""
    alan = wise.get_user("alan@example.com")
    assert alan is not None
    (profile,) = [p for p in alan["profiles"] if p["type"] == "BUSINESS"]
    body = session_body(
        customer__external_id="c-alan",
        customer__email="alan@example.com",
        customer__type="business",
        **{f"customer__{name}": value for name, value in customer.items()},
    )
    created = prefill_kit.create(body)
    launched = prefill_kit.launch(created)
    granted = wise.authorize(
        CLIENT_ID,
        prefill_kit.callback_url,
        "alan@example.com",
        profile_id=profile["id"],
        state=launched.state,
    )
    returned = prefill_kit.api.callback(query_of(granted["redirect_url"]), launched.cookies)
    assert returned.status_code == 303
    return created["id"], query_of(returned.headers["Location"])


def test_business_link_with_the_same_registration_number_passes(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    session_id, back = link_alan_business(prefill_kit, wise, registration_number="07 209 813")
    assert back["status"] == "linked"
    assert prefill_kit.session(session_id)["identity_check"] == "passed"
    assert prefill_kit.api.get_link("c-alan")["identity_check"] == "passed"


def test_business_link_with_another_registration_number_fails(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    session_id, back = link_alan_business(prefill_kit, wise, registration_number="99999999")
    assert (back["status"], back["reason"]) == ("failed", "identity_mismatch")
    session = prefill_kit.session(session_id)
    assert (session["failure_reason"], session["identity_check"]) == (
        "identity_mismatch",
        "failed",
    )
    assert prefill_kit.api.get_link("c-alan")["status"] == "not_linked"


def test_business_link_without_a_registration_number_is_marked_not_applicable(
    prefill_kit: PrefillKit, wise: EmulatorControl
) -> None:
    session_id, back = link_alan_business(prefill_kit, wise)
    assert back["status"] == "linked"
    assert prefill_kit.session(session_id)["identity_check"] == "not_applicable"
    link = prefill_kit.api.get_link("c-alan")
    assert (link["status"], link["identity_check"]) == ("linked", "not_applicable")
