"""Hosted KYC: reviews from Wise's webhook, a launch link of the kit's, Wise's page, the return."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.services import retention
from sample_app.demo import Stack
from sample_app.wise_emulator import EmulatorControl
from tests.lifecycle.conftest import ON_BOTH_DATABASES, Hooks
from tests.lifecycle.helpers import (
    LifecycleApi,
    Linked,
    PartnerReceiver,
    envelope,
    link_customer,
    query,
    settled,
)
from tests.support.factories import QUERY_RETURN_URL, RETURN_URL
from tests.support.kit import TIMEOUT

PATCH = "PATCH /v1/profiles/{profile_id}/kyc-reviews/{review_id}"


def reviews(api: LifecycleApi, external_id: str = "c-123", **params: str) -> requests.Response:
    return api.http.get(
        f"{api.base_url}/api/v1/customers/{external_id}/wise-link/kyc-reviews",
        params=params,
        timeout=TIMEOUT,
    )


def launch_link(
    api: LifecycleApi, review_id: str, external_id: str = "c-123", **body: Any
) -> requests.Response:
    return api.http.post(
        f"{api.base_url}/api/v1/customers/{external_id}/wise-link/kyc-reviews/{review_id}/launch",
        json={"return_url": RETURN_URL, **body},
        timeout=TIMEOUT,
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def wise_needs_more(wise: EmulatorControl, stack: Stack, linked: Linked) -> str:
    """Wise asks the customer for more; its webhooks reach the kit. The review's id."""
    review = wise.create_kyc_review(linked.profile_id)
    wise.flush_webhooks()
    settled(stack)
    return str(review["id"])


def redeem(url: str) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=TIMEOUT)


def answer_wise(page_url: str, decision: str) -> str:
    """Press Submit or Close on Wise's hosted page; where Wise sends the browser."""
    token = query_of(page_url)["token"]
    base = f"{urlsplit(page_url).scheme}://{urlsplit(page_url).netloc}"
    answer = requests.post(
        f"{base}/embedded-flows/verification",
        data={"token": token, "decision": decision},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


@pytest.fixture
def kyc_linked(notified: Hooks) -> Linked:
    linked = link_customer(notified.api, notified.wise, notified.stack)
    notified.settle()
    return linked


@ON_BOTH_DATABASES
def test_wise_needs_more_the_customer_goes_to_wises_page_and_back(
    notified: Hooks, receiver: PartnerReceiver, kyc_linked: Linked
) -> None:
    api, wise, stack = notified.api, notified.wise, notified.stack
    review_id = wise_needs_more(wise, stack, kyc_linked)
    [listed] = reviews(api).json()["kyc_reviews"]
    assert (listed["id"], listed["status"]) == (review_id, "WAITING_CUSTOMER_INPUT")
    assert listed["trigger_references"][0]["type"] == "TRANSFER"
    assert listed["last_return_status"] is None
    updates = [e for e in receiver.events() if e["type"] == "kyc_review.updated"]
    assert [e["kyc_review"]["status"] for e in updates] == ["NEW", "WAITING_CUSTOMER_INPUT"]
    assert updates[-1]["link"]["profile_id"] == kyc_linked.profile_id

    created = launch_link(api, review_id)
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "kyc_review_id", "launch_url", "expires_at"}
    # Wise's link lives 5 minutes: nothing is asked of Wise until the customer opens ours.
    assert wise.counters()["requests"].get(PATCH, 0) == 0
    opened = redeem(body["launch_url"])
    assert opened.status_code == 303
    page = opened.headers["Location"]
    assert page.startswith(f"{stack.emulator_url}/embedded-flows/verification?")
    assert wise.counters()["requests"][PATCH] == 1
    [at_wise] = wise.kyc_reviews()
    assert at_wise["redirectUrl"].startswith(f"{stack.kit_url}/kyc/wise/return?ref=")
    # Single use.
    again = redeem(body["launch_url"])
    assert again.status_code == 410
    assert "status=used" in again.text

    back = answer_wise(page, "submit")
    assert back.startswith(f"{stack.kit_url}/kyc/wise/return?")
    returned = redeem(back)
    assert returned.status_code == 303
    assert returned.headers["Location"].startswith(RETURN_URL + "?")
    assert query_of(returned.headers["Location"]) == {
        "kyc_review_id": review_id,
        "status": "success",
    }
    wise.flush_webhooks()
    notified.settle()
    [listed] = reviews(api).json()["kyc_reviews"]
    assert (listed["status"], listed["last_return_status"]) == ("PROCESSING", "success")
    assert listed["last_returned_at"] is not None
    [came_back] = [e for e in receiver.events() if e["type"] == "kyc_review.returned"]
    assert came_back["return_status"] == "success"
    # A reload of the return changes nothing and is told the same.
    assert query_of(redeem(back).headers["Location"])["status"] == "success"
    notified.settle()
    assert len([e for e in receiver.events() if e["type"] == "kyc_review.returned"]) == 1


@pytest.mark.parametrize(
    ("status", "recorded"),
    [("error", "error"), ("failed", "failed"), ("closed", "closed"), ("surprise", "unknown")],
)
def test_every_return_status_wise_documents_is_accepted(
    notified: Hooks, kyc_linked: Linked, status: str, recorded: str
) -> None:
    review_id = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    opened = redeem(launch_link(notified.api, review_id).json()["launch_url"])
    [at_wise] = notified.wise.kyc_reviews()
    back = f"{at_wise['redirectUrl']}&status={status}"
    assert opened.status_code == 303
    returned = redeem(back)
    assert query_of(returned.headers["Location"])["status"] == recorded
    assert reviews(notified.api).json()["kyc_reviews"][0]["last_return_status"] == recorded


def test_closing_wises_page_says_closed(notified: Hooks, kyc_linked: Linked) -> None:
    review_id = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    page = redeem(launch_link(notified.api, review_id).json()["launch_url"]).headers["Location"]
    returned = redeem(answer_wise(page, "close"))
    assert query_of(returned.headers["Location"])["status"] == "closed"


@pytest.mark.parametrize(
    ("review_id", "body", "status", "error", "field"),
    [
        ("not!an-id", {}, 400, "invalid_request", "kyc_review_id"),
        ("{review}", {"return_url": "https://elsewhere.example/"}, 400, "invalid_return_url",
         "return_url"),
        ("{review}", {"ttl_seconds": 1801}, 400, "invalid_request", "ttl_seconds"),
        ("{review}", {"extra": 1}, 400, "invalid_request", "extra"),
        ("0b9d2a7e-0000-4000-8000-00000000dead", {}, 404, "not_found", None),
    ],
)  # fmt: skip
def test_bad_launch_requests_are_refused_with_the_field(
    notified: Hooks,
    kyc_linked: Linked,
    review_id: str,
    body: dict[str, Any],
    status: int,
    error: str,
    field: str | None,
) -> None:
    real = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    response = launch_link(notified.api, review_id.replace("{review}", real), **body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json().get("field") == field


def test_only_a_review_waiting_for_the_customer_can_be_launched(
    notified: Hooks, kyc_linked: Linked
) -> None:
    review_id = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    token = notified.api.token_value()
    approve = requests.post(
        f"{notified.stack.emulator_url}/v2/simulation/profiles/{kyc_linked.profile_id}"
        f"/kyc-reviews/{review_id}/verify",
        json={"requestedAction": "APPROVE"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert approve.status_code == 202
    notified.wise.flush_webhooks()
    notified.settle()
    refused = launch_link(notified.api, review_id)
    assert refused.status_code == 409
    assert refused.json()["error"] == "kyc_review_not_waiting"
    assert "PASSED" in refused.json()["error_description"]


def test_customers_without_a_link_have_no_reviews(notified: Hooks) -> None:
    assert reviews(notified.api, "c-none").status_code == 404
    assert launch_link(notified.api, "0b9d2a7e-0000", "c-none").json()["error"] == "not_linked"


def test_a_review_wise_never_sent_a_webhook_for_is_read_from_wise(
    notified: Hooks, kyc_linked: Linked
) -> None:
    review = notified.wise.create_kyc_review(kyc_linked.profile_id)  # webhooks not delivered
    assert reviews(notified.api).json()["kyc_reviews"] == []
    created = launch_link(notified.api, review["id"])
    assert created.status_code == 201, created.text
    assert reviews(notified.api).json()["kyc_reviews"][0]["id"] == review["id"]
    other = notified.wise.create_kyc_review(kyc_linked.profile_id)
    refreshed = reviews(notified.api, refresh="wise").json()["kyc_reviews"]
    assert {r["id"] for r in refreshed} == {review["id"], other["id"]}
    assert reviews(notified.api, refresh="soon").status_code == 400


def test_wise_down_at_the_redeem_keeps_the_link_working(
    notified: Hooks, kyc_linked: Linked
) -> None:
    review_id = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    url = launch_link(notified.api, review_id).json()["launch_url"]
    notified.wise.add_fault("PATCH", "/v1/profiles/*/kyc-reviews/*", status=503, count=1)
    down = redeem(url)
    assert down.status_code == 503
    assert down.headers["Retry-After"]
    assert "Your link still works" in down.text
    assert redeem(url).status_code == 303


def test_a_link_on_another_host_than_wises_is_never_followed(
    notified: Hooks, kyc_linked: Linked
) -> None:
    review_id = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    url = launch_link(notified.api, review_id).json()["launch_url"]
    notified.wise.add_fault(
        "PATCH",
        "/v1/profiles/*/kyc-reviews/*",
        status=200,
        body={"id": review_id, "status": "WAITING_CUSTOMER_INPUT",
              "link": {"value": "https://evil.example/kyc", "expiresAt": None}},
    )  # fmt: skip
    response = redeem(url)
    assert response.status_code == 303
    assert query_of(response.headers["Location"]) == {
        "kyc_review_id": review_id,
        "status": "error",
        "reason": "unexpected_link",
    }


def test_unused_links_and_customers_who_never_return_expire(
    notified: Hooks, kyc_linked: Linked, clock: FrozenClock, db_url: str
) -> None:
    review_id = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    unused = launch_link(notified.api, review_id, ttl_seconds=60).json()["launch_url"]
    gone = launch_link(notified.api, review_id, return_url=QUERY_RETURN_URL).json()
    assert redeem(gone["launch_url"]).status_code == 303
    clock.advance(60)
    expired = redeem(unused)
    assert expired.status_code == 410
    assert "status=expired" in expired.text
    clock.advance(3600)  # ONBOARDING_STATE_TTL_SECONDS
    notified.settle()
    rows = query(db_url, "SELECT status FROM kyc_review_launch ORDER BY created_at")
    assert [r["status"] for r in rows] == ["expired", "expired"]


def kyc_body(review_id: str, profile_id: int, state: str, updated_at: str) -> bytes:
    data = {
        "resource": {
            "id": review_id,
            "state": state,
            "profileId": profile_id,
            "requiredBy": None,
            "createdAt": "2030-01-01T10:00:00.000001",
            "updatedAt": updated_at,
            "triggerReferences": [{"type": "QUOTE", "triggerData": {"id": None}}],
        }
    }
    return envelope("kyc-reviews#state-change", data)


def test_the_newest_update_of_a_review_wins(hooks: Hooks) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    review = "46e1a5c4-4a9b-4563-39d3-18174d3ac0f8"
    newer = kyc_body(review, linked.profile_id, "PROCESSING", "2030-01-01T10:00:05.000002")
    older = kyc_body(review, linked.profile_id, "WAITING_CUSTOMER_INPUT", "2030-01-01T10:00:01")
    assert hooks.post(newer).status_code == 200
    assert hooks.post(older).status_code == 200
    hooks.settle()
    [listed] = reviews(hooks.api).json()["kyc_reviews"]
    assert listed["status"] == "PROCESSING"
    assert listed["trigger_references"] == [{"type": "QUOTE", "triggerData": {}}]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": None}, "state"),
        ({"profileId": "22016766"}, "profileId"),
        ({"updatedAt": "yesterday"}, "updatedAt"),
        ({"id": "../etc"}, "id"),
    ],
)
def test_an_unusable_kyc_event_is_parked(
    hooks: Hooks, db_url: str, change: dict[str, Any], reason: str
) -> None:
    resource = {
        "id": "46e1a5c4-4a9b-4563-39d3-18174d3ac0f8",
        "state": "WAITING_CUSTOMER_INPUT",
        "profileId": 22016766,
        "updatedAt": "2024-09-03T16:29:41.147522",
        **change,
    }
    assert (
        hooks.post(envelope("kyc-reviews#state-change", {"resource": resource})).status_code == 200
    )
    hooks.settle()
    [row] = query(db_url, "SELECT status, last_error FROM wise_webhook_event")
    assert row["status"] == "dead"
    assert row["last_error"].startswith(f"invalid_data: data.resource.{reason}")


def test_launch_links_are_purged_with_the_sessions(
    notified: Hooks, kyc_linked: Linked, clock: FrozenClock, db_url: str
) -> None:
    review_id = wise_needs_more(notified.wise, notified.stack, kyc_linked)
    assert launch_link(notified.api, review_id).status_code == 201
    with runtime_of(notified.stack.kit_app).job() as ctx:
        clock.advance(89 * 24 * 3600)
        assert retention.purge(ctx=ctx)["kyc_launches"] == 0
        clock.advance(2 * 24 * 3600)  # past ONBOARDING_RETENTION_SESSION_DAYS (90)
        assert retention.purge(ctx=ctx)["kyc_launches"] == 1
    assert query(db_url, "SELECT id FROM kyc_review_launch") == []
    assert query(db_url, "SELECT id FROM wise_kyc_review") != []  # the review itself stays
