"""``users#state-change``: a Wise user suspended, closed or active again shows on the link."""

from __future__ import annotations

from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.conftest import ON_BOTH_DATABASES, Hooks
from tests.lifecycle.helpers import (
    LifecycleApi,
    PartnerReceiver,
    envelope,
    link_customer,
    query,
    settled,
)


def user_body(user_id: int, state: str, occurred_at: str, **extra: str) -> bytes:
    data = {
        "resource": {"id": user_id, "type": "user"},
        "previous_state": "ACTIVE",
        "current_state": state,
        "occurred_at": occurred_at,
        **extra,
    }
    return envelope("users#state-change", data)


@ON_BOTH_DATABASES
def test_a_suspension_at_wise_shows_on_the_link_and_reaches_the_partner(
    notified: Hooks, receiver: PartnerReceiver, db_url: str
) -> None:
    linked = link_customer(notified.api, notified.wise, notified.stack)
    notified.settle()
    assert notified.api.link().json()["wise_user_state"] is None
    notified.wise.set_user_state(
        linked.email,
        "WITHDRAW_ONLY",
        deactivation_type="ACCOUNT_SUSPENSION",
        deactivation_reason="REQUESTED_BY_CUSTOMER_CS",
    )
    notified.wise.flush_webhooks()
    notified.settle()
    link = notified.api.link().json()
    assert link["status"] == "linked"  # the grant itself is still there
    assert (
        link["wise_user_state"],
        link["wise_user_deactivation_type"],
        link["wise_user_deactivation_reason"],
    ) == ("WITHDRAW_ONLY", "ACCOUNT_SUSPENSION", "REQUESTED_BY_CUSTOMER_CS")
    [event] = [e for e in receiver.events() if e["type"] == "link.wise_user_state_changed"]
    assert event["link"]["wise_user_state"] == "WITHDRAW_ONLY"
    audit = query(
        db_url, "SELECT detail FROM wise_link_event WHERE event = 'wise_user_state_changed'"
    )
    assert [row["detail"] for row in audit] == ["unknown -> WITHDRAW_ONLY (ACCOUNT_SUSPENSION)"]


def test_the_newest_state_wins_whatever_the_order(hooks: Hooks) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    newer = user_body(linked.user_id, "DEACTIVATED", "2030-01-02T10:00:00Z",
                      deactivation_type="ACCOUNT_CLOSURE")  # fmt: skip
    older = user_body(linked.user_id, "WITHDRAW_ONLY", "2030-01-01T10:00:00Z")
    assert hooks.post(newer).status_code == 200
    assert hooks.post(older).status_code == 200
    hooks.settle()
    link = hooks.api.link().json()
    assert (link["wise_user_state"], link["wise_user_deactivation_type"]) == (
        "DEACTIVATED",
        "ACCOUNT_CLOSURE",
    )


def test_an_event_about_another_user_changes_nothing(hooks: Hooks) -> None:
    link_customer(hooks.api, hooks.wise, hooks.stack)
    assert hooks.post(user_body(424242, "DEACTIVATED", "2030-01-01T10:00:00Z")).status_code == 200
    hooks.settle()
    assert hooks.api.link().json()["wise_user_state"] is None


def test_an_unusable_user_event_is_parked_with_its_reason(hooks: Hooks, db_url: str) -> None:
    body = user_body(1, "DEACTIVATED", "2030-01-01T10:00:00Z", deactivation_reason="not a code!")
    assert hooks.post(body).status_code == 200
    hooks.settle()
    [row] = query(db_url, "SELECT status, last_error FROM wise_webhook_event")
    assert row["status"] == "dead"
    assert row["last_error"].startswith("invalid_data: data.deactivation_reason")


def test_a_closed_account_is_found_out_as_revoked_when_the_token_is_next_used(
    api: LifecycleApi, wise: EmulatorControl, stack: Stack
) -> None:
    link_customer(api, wise, stack)
    settled(stack)
    wise.set_user_state("ada@example.com", "DEACTIVATED", deactivation_type="ACCOUNT_CLOSURE")
    wise.flush_webhooks()
    settled(stack)
    assert api.link().json()["wise_user_state"] == "DEACTIVATED"
    # "End-user tokens will be revoked": the next use of the token tells the kit.
    assert api.link(refresh="verification").status_code == 409
    assert api.link().json()["status"] == "reauthorization_required"
