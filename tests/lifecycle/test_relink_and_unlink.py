"""Re-linking replaces the link (flagging a different Wise account); unlinking erases tokens."""

from __future__ import annotations

from backend.clock import FrozenClock
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.helpers import (
    ACCESS_TOKEN_SECONDS,
    LifecycleApi,
    Linked,
    link_customer,
    link_row,
    query,
    wise_accepts,
)


def revoke_and_notice(
    api: LifecycleApi, wise: EmulatorControl, linked: Linked, clock: FrozenClock
) -> None:
    wise.revoke_user(linked.email)
    clock.advance(ACCESS_TOKEN_SECONDS)
    assert api.access_token().status_code == 409


def events(database_url: str) -> list[str]:
    rows = query(database_url, "SELECT event FROM wise_link_event ORDER BY id")
    return [r["event"] for r in rows]


def test_relinking_the_same_wise_account_restores_the_link(
    api: LifecycleApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
) -> None:
    revoke_and_notice(api, wise, linked, clock)
    again = link_customer(api, wise, stack)
    link = api.link().json()
    assert link["status"] == "linked"
    assert link["account_changed"] is False
    assert link["profile_id"] == again.profile_id == linked.profile_id
    token = api.token_value()
    assert wise_accepts(stack, token, linked.profile_id)
    assert events(database_url) == ["linked", "reauthorization_required", "relinked"]


def test_relinking_a_different_wise_account_is_flagged(
    api: LifecycleApi,
    wise: EmulatorControl,
    stack: Stack,
    database_url: str,
    linked: Linked,
    clock: FrozenClock,
) -> None:
    """Ada changed her email at Wise and came back with a new Wise account: the partner reviews."""
    wise.set_verification(linked.profile_id, "verified")
    assert api.link(refresh="verification").json()["verification_status"] == "verified"
    wise.change_email(linked.email, "ada.old@example.com")
    wise.create_user("ada.new@example.com", first_name="Ada", date_of_birth="1990-04-01")
    clock.advance(ACCESS_TOKEN_SECONDS)
    assert api.access_token().status_code == 409
    other = link_customer(api, wise, stack, email="ada.new@example.com")
    assert other.user_id != linked.user_id
    link = api.link().json()
    assert link["status"] == "linked"
    assert link["account_changed"] is True
    assert link["profile_id"] == other.profile_id
    # The new profile's verification is not known yet.
    assert link["verification_status"] == "unknown"
    row = link_row(database_url)
    assert row["previous_wise_user_id"] == linked.user_id
    assert row["wise_user_id"] == other.user_id
    assert events(database_url)[-2:] == ["relinked", "account_changed"]
    assert wise_accepts(stack, api.token_value(), other.profile_id)


def test_connecting_another_account_while_linked_replaces_the_link(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack, linked: Linked
) -> None:
    wise.create_user("ada.two@example.com", date_of_birth="1990-04-01")
    other = link_customer(api, wise, stack, email="ada.two@example.com")
    link = api.link().json()
    assert link["profile_id"] == other.profile_id
    assert link["account_changed"] is True


def test_unlinking_erases_the_tokens_and_keeps_an_audit_record(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack, database_url: str, linked: Linked
) -> None:
    response = api.unlink()
    assert response.status_code == 204
    row = link_row(database_url)
    assert row["status"] == "unlinked"
    assert row["access_token_ciphertext"] is None
    assert row["refresh_token_ciphertext"] is None
    assert api.link().json()["status"] == "not_linked"
    token = api.access_token()
    assert token.status_code == 404
    assert token.json()["error"] == "not_linked"
    assert events(database_url) == ["linked", "unlinked"]
    # Unlinking again changes nothing and records nothing.
    assert api.unlink().status_code == 204
    assert events(database_url) == ["linked", "unlinked"]
    # A new link after an unlink is a fresh start, not an account change.
    link_customer(api, wise, stack)
    assert api.link().json() | {"linked_at": None} == {
        "status": "linked",
        "profile_id": linked.profile_id,
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


def test_a_link_that_needs_reauthorization_can_be_unlinked(
    api: LifecycleApi, wise: EmulatorControl, database_url: str, linked: Linked, clock: FrozenClock
) -> None:
    revoke_and_notice(api, wise, linked, clock)
    assert api.unlink().status_code == 204
    assert api.link().json()["status"] == "not_linked"
    assert events(database_url)[-1] == "unlinked"


def test_unlinking_an_unknown_customer_is_404(api: LifecycleApi) -> None:
    response = api.unlink("c-404")
    assert response.status_code == 404
    assert response.json()["error"] == "not_linked"
