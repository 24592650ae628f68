"""Verification status: unknown until Wise says, asked with ``?refresh=verification``."""

from __future__ import annotations

import pytest

from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.helpers import LifecycleApi, Linked

CHECK_PATH = "/v3/profiles/*/verification-status/bank-transfer"


def test_verification_is_unknown_until_wise_is_asked(
    api: LifecycleApi, wise: EmulatorControl, linked: Linked
) -> None:
    assert api.link().json()["verification_status"] == "unknown"
    checked = api.link(refresh="verification")
    assert checked.status_code == 200
    assert checked.json()["verification_status"] == "not_verified"
    wise.set_verification(linked.profile_id, "verified")
    assert api.link().json()["verification_status"] == "not_verified"  # stored, not live
    assert api.link(refresh="verification").json()["verification_status"] == "verified"
    assert api.link().json()["verification_status"] == "verified"
    paths = wise.counters()["paths"]
    assert paths[f"POST /v3/profiles/{linked.profile_id}/verification-status/bank-transfer"] == 2


def test_the_currencies_asked_about_can_be_chosen(
    api: LifecycleApi, wise: EmulatorControl, linked: Linked
) -> None:
    wise.set_verification(linked.profile_id, "verified")
    response = api.link(refresh="verification", source_currencies="gbp,EUR")
    assert response.status_code == 200
    assert response.json()["verification_status"] == "verified"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"refresh": "tokens"}, "refresh"),
        ({"refresh": ""}, "refresh"),
        ({"refresh": "verification", "source_currencies": "POUNDS"}, "source_currencies"),
        ({"refresh": "verification", "source_currencies": ","}, "source_currencies"),
        ({"refresh": "verification", "source_currencies": "GBP," * 11}, "source_currencies"),
    ],
)
def test_bad_refresh_parameters_are_refused(
    api: LifecycleApi, linked: Linked, params: dict[str, str], field: str
) -> None:
    response = api.link(**params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_asking_for_an_unknown_customer_is_404(api: LifecycleApi) -> None:
    response = api.link("c-404", refresh="verification")
    assert response.status_code == 404
    assert response.json()["error"] == "not_linked"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_wise_unavailable_for_the_check_is_a_503(
    api: LifecycleApi, wise: EmulatorControl, linked: Linked, status: int
) -> None:
    wise.add_fault("POST", CHECK_PATH, status=status)
    response = api.link(refresh="verification")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert api.link().json() | {"linked_at": None, "profile_id": None} == {
        "status": "linked",
        "profile_id": None,
        "profile_type": "personal",
        "linked_at": None,
        "verification_status": "unknown",
        "account_changed": False,
        "identity_check": "passed",
    }


def test_a_refusal_of_the_check_is_a_502(
    api: LifecycleApi, wise: EmulatorControl, linked: Linked
) -> None:
    wise.add_fault("POST", CHECK_PATH, status=404, body={"errors": [{"code": "NOT_FOUND"}]})
    response = api.link(refresh="verification")
    assert response.status_code == 502
    assert response.json()["error"] == "wise_error"
    assert api.link().json()["status"] == "linked"
