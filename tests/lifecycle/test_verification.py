"""Verification status: unknown until Wise says, asked with ``?refresh=verification``, and
simulated in the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from backend import create_app
from backend.extensions import runtime_of
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.backend.test_settings import STRONG
from tests.lifecycle.helpers import LifecycleApi, Linked, settled

CHECK_PATH = "/v3/profiles/*/verification-status/bank-transfer"
WISE_PRODUCTION = "https://api.wise.com"


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
        "verification_routes": [],
        "verification_checked_at": None,
        "wise_user_state": None,
        "wise_user_deactivation_type": None,
        "wise_user_deactivation_reason": None,
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


SIMULATION_PATH = "/v1/simulation/profiles/*/verifications"


def test_verification_can_be_simulated_in_the_sandbox(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack, linked: Linked
) -> None:
    response = api.simulate_verification()
    assert response.status_code == 202
    # Wise answers at once and tells the kit by webhook, as after real checks.
    assert response.json()["verification_status"] == "unknown"
    paths = wise.counters()["paths"]
    assert paths[f"POST /v1/simulation/profiles/{linked.profile_id}/verifications"] == 1
    assert [a["status_code"] for a in wise.flush_webhooks()] == [200]
    settled(stack)
    assert api.link().json()["verification_status"] == "verified"


def test_simulating_for_a_revoked_link_finds_the_revocation(
    api: LifecycleApi, wise: EmulatorControl, linked: Linked
) -> None:
    wise.revoke_user(linked.email)
    response = api.simulate_verification()
    assert response.status_code == 409
    assert response.json()["error"] == "reauthorization_required"
    assert api.simulate_verification("c-404").status_code == 404


@pytest.mark.parametrize(("status", "expected"), [(503, 503), (429, 503), (404, 502)])
def test_wise_failing_the_simulation(
    api: LifecycleApi, wise: EmulatorControl, linked: Linked, status: int, expected: int
) -> None:
    wise.add_fault("POST", SIMULATION_PATH, status=status)
    assert api.simulate_verification().status_code == expected
    assert api.link().json()["verification_status"] == "unknown"


@pytest.mark.parametrize(
    "overrides",
    [
        # A kit talking to Wise's production API ...
        {"ONBOARDING_WISE_ENVIRONMENT": "production", "ONBOARDING_WISE_API_URL": WISE_PRODUCTION},
        # ... or a kit running in production, even one pointed at Wise's sandbox.
        {
            **STRONG,
            "ONBOARDING_WISE_API_URL": "https://api.wise-sandbox.com",
            "ONBOARDING_WISE_AUTHORIZE_URL": "https://wise-sandbox.com/oauth/authorize/",
        },
    ],
    ids=["wise-production", "kit-production"],
)
def test_simulation_is_refused_in_production(
    config: dict[str, Any], overrides: dict[str, str]
) -> None:
    app = create_app({**config, **overrides})
    key = runtime_of(app).settings.api_keys[0]
    response = app.test_client().post(
        "/api/v1/customers/c-123/wise-link/simulate-verification",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 403
    assert response.json["error"] == "sandbox_only"
    assert "sandbox" in response.json["error_description"]
