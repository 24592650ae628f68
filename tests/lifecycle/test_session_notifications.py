"""Every session outcome reaches the partner: session.linked, .declined, .failed, .expired."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

from backend.clock import FrozenClock
from tests.lifecycle.conftest import ON_BOTH_DATABASES, Hooks
from tests.lifecycle.helpers import PartnerReceiver, link_customer, query


def session_events(receiver: PartnerReceiver) -> list[dict[str, Any]]:
    return [e for e in receiver.events() if e["type"].startswith("session.")]


def in_outbox(database_url: str, event_type: str) -> int:
    rows = query(
        database_url,
        "SELECT id FROM partner_notification WHERE event_type = :type",
        type=event_type,
    )
    return len(rows)


@ON_BOTH_DATABASES
def test_a_linked_session_is_notified_with_its_outcome(
    notified: Hooks, receiver: PartnerReceiver
) -> None:
    linked = link_customer(notified.api, notified.wise, notified.stack)
    notified.settle()
    [event] = session_events(receiver)
    assert event["type"] == "session.linked"
    assert event["customer_external_id"] == "c-123"
    session = event["session"]
    assert (session["status"], session["wise_profile_id"]) == ("linked", linked.profile_id)
    assert session["identity_check"] == "passed"
    assert session["completed_at"] is not None
    assert "reason" not in event
    # The same session, as the partner API shows it.
    assert notified.api.get_session(session["id"])["status"] == "linked"


def test_a_denial_is_notified_as_declined(notified: Hooks, receiver: PartnerReceiver) -> None:
    created = notified.api.create_session()
    launched = notified.api.launch(created["launch_url"], created["id"])
    params = {"error": "access_denied", "state": launched.state}
    assert notified.api.callback(params, launched.cookies).status_code == 303
    notified.settle()
    [event] = session_events(receiver)
    assert (event["type"], event["session"]["id"]) == ("session.declined", created["id"])
    assert event["session"]["wise_error"] == "access_denied"


def test_a_failure_is_notified_with_its_reason(notified: Hooks, receiver: PartnerReceiver) -> None:
    created = notified.api.create_session(customer__date_of_birth="1990-04-02")
    launched = notified.api.launch(created["launch_url"], created["id"])
    granted = notified.wise.authorize(
        "acme-bank-demo",
        f"{notified.stack.kit_url}/oauth/wise/callback",
        "ada@example.com",
        state=launched.state,
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
    notified.api.callback(params, launched.cookies)
    notified.settle()
    [event] = session_events(receiver)
    assert event["type"] == "session.failed"
    assert event["reason"] == "identity_mismatch"
    assert event["session"]["failure_reason"] == "identity_mismatch"


def test_an_unused_launch_link_is_notified_when_it_times_out(
    notified: Hooks, receiver: PartnerReceiver, clock: FrozenClock, db_url: str
) -> None:
    created = notified.api.create_session(ttl_seconds=60)
    notified.settle()
    assert session_events(receiver) == []
    clock.advance(60)
    # The worker's session sweep records it with the expiry, nobody needs to ask.
    notified.settle()
    [event] = session_events(receiver)
    assert (event["type"], event["reason"]) == ("session.expired", "not_launched")
    assert event["session"]["id"] == created["id"]
    assert notified.api.get_session(created["id"])["status"] == "expired"
    notified.settle()
    assert in_outbox(db_url, "session.expired") == 1


def test_a_customer_who_never_comes_back_from_wise_is_notified_as_expired(
    notified: Hooks, receiver: PartnerReceiver, clock: FrozenClock
) -> None:
    created = notified.api.create_session()
    notified.api.launch(created["launch_url"], created["id"])
    clock.advance(3600)  # ONBOARDING_STATE_TTL_SECONDS: the customer was left at Wise
    notified.settle()
    [event] = session_events(receiver)
    assert (event["type"], event["reason"]) == ("session.expired", "abandoned_at_wise")


@ON_BOTH_DATABASES
def test_an_expiry_seen_by_many_at_once_is_notified_once(
    notified: Hooks, receiver: PartnerReceiver, clock: FrozenClock, db_url: str
) -> None:
    created = notified.api.create_session(ttl_seconds=60)
    clock.advance(60)
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(lambda _: notified.api.get_session(created["id"])["status"], range(10))
        )
    assert set(statuses) == {"expired"}
    notified.settle()
    assert in_outbox(db_url, "session.expired") == 1
    assert [e["type"] for e in session_events(receiver)] == ["session.expired"]
