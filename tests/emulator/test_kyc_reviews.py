"""KYC reviews (Hosted KYC): the API, the hosted page, the simulation and the webhook."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from .conftest import CLIENT_KEY, Receiver, app_token, bearer, register_user, user_tokens
from .test_business_profiles import BUSINESS_BODY

EVENT = "kyc-reviews#state-change"
REDIRECT = "https://partner.example/kyc/return?ref=abc"


def reviews_path(profile_id: int) -> str:
    return f"/v1/profiles/{profile_id}/kyc-reviews"


def ada(client: FlaskClient) -> tuple[dict[str, str], int]:
    tokens = user_tokens(client, "ada@example.com")
    return bearer(tokens["access_token"]), int(tokens["profile_id"])


def waiting_review(client: FlaskClient, profile_id: int) -> dict[str, Any]:
    created = client.post(f"/__emulator/profiles/{profile_id}/kyc-reviews", json={})
    assert created.status_code == 201
    return dict(created.json)  # type: ignore[arg-type]


def patch(client: FlaskClient, headers: dict[str, str], profile_id: int, review_id: str) -> Any:
    return client.patch(
        f"{reviews_path(profile_id)}/{review_id}", json={"redirectUrl": REDIRECT}, headers=headers
    )


def test_a_review_is_created_new_then_waits_for_the_customer(
    client: FlaskClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    client.post(
        f"/v3/applications/{CLIENT_KEY}/subscriptions",
        json={"name": "kyc", "trigger_on": EVENT, "delivery": {"version": "2.0.0", "url": url}},
        headers=bearer(app_token(client)),
    )
    headers, profile_id = ada(client)
    created = client.post(
        reviews_path(profile_id),
        json={"type": "CARD", "triggerData": {"id": "5d8a4a2e-0000-4000-8000-000000000001"}},
        headers=headers,
    )
    assert created.status_code == 202
    review = created.json
    assert (review["status"], review["link"], review["redirectUrl"]) == ("NEW", None, None)
    assert review["triggerReferences"] == [
        {"type": "CARD", "triggerData": {"id": "5d8a4a2e-0000-4000-8000-000000000001"}}
    ]
    client.post("/__emulator/webhooks/flush")
    bodies = [json.loads(r["body"]) for r in target.received]
    assert [b["data"]["resource"]["state"] for b in bodies] == ["NEW", "WAITING_CUSTOMER_INPUT"]
    resource = bodies[1]["data"]["resource"]
    assert set(resource) == {
        "id", "state", "profileId", "requiredBy", "createdAt", "updatedAt", "triggerReferences",
    }  # fmt: skip
    assert resource["profileId"] == profile_id
    assert "occurred_at" not in bodies[1]["data"]
    assert bodies[0]["data"]["resource"]["updatedAt"] < resource["updatedAt"]
    full = client.get(f"/v2/profiles/{profile_id}/kyc-reviews/{review['id']}", headers=headers)
    assert full.json["status"] == "WAITING_CUSTOMER_INPUT"
    assert full.json["requirements"] == [
        [{"key": "ID_DOCUMENT_WITH_LIVENESS", "state": "NOT_PROVIDED",
          "apiCollectionSupported": False}]
    ]  # fmt: skip
    v1 = client.get(f"{reviews_path(profile_id)}/{review['id']}", headers=headers)
    assert "requirements" not in v1.json
    listed = client.get(reviews_path(profile_id), headers=headers).json
    assert [r["id"] for r in listed] == [review["id"]]
    assert (
        client.get(f"{reviews_path(profile_id)}?pageSize=101", headers=headers).status_code == 400
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "LOAN"}, 400),
        ({}, 400),
        ({"type": "QUOTE", "triggerData": {"id": "9b5b4e4e-0000-4000-8000-000000000002"}}, 404),
        ({"type": "PROACTIVE_SEND_MONEY"}, 400),  # business Send Money only
    ],
)
def test_creating_a_review_checks_its_type(
    client: FlaskClient, body: dict[str, Any], status: int
) -> None:
    headers, profile_id = ada(client)
    assert client.post(reviews_path(profile_id), json=body, headers=headers).status_code == status


def test_proactive_kyc_for_a_business(client: FlaskClient) -> None:
    headers = bearer(register_user(client, "biz@example.com")["access_token"])
    business = client.post("/v3/profiles/business-profile", json=BUSINESS_BODY, headers=headers)
    created = client.post(
        reviews_path(business.json["id"]), json={"type": "PROACTIVE_SEND_MONEY"}, headers=headers
    )
    assert created.status_code == 202


def test_the_link_is_minted_by_the_patch_and_lives_five_minutes(client: FlaskClient) -> None:
    headers, profile_id = ada(client)
    review = waiting_review(client, profile_id)
    bad = client.patch(
        f"{reviews_path(profile_id)}/{review['id']}",
        json={"redirectUrl": "not a url"},
        headers=headers,
    )
    assert bad.status_code == 400
    answer = patch(client, headers, profile_id, review["id"]).json
    assert answer["redirectUrl"] == REDIRECT
    link = answer["link"]
    assert urlsplit(link["value"]).path == "/embedded-flows/verification"
    assert set(parse_qs(urlsplit(link["value"]).query)) == {"token", "checkId"}
    assert link["expiresAt"] > answer["updatedAt"]
    page = client.get(link["value"])
    assert page.status_code == 200
    assert "A photo of your ID document and a selfie" in page.get_data(as_text=True)
    client.post("/__emulator/clock/advance", json={"seconds": 301})
    expired = client.get(link["value"])
    assert expired.status_code == 410
    assert 'href="https://partner.example/kyc/return?ref=abc&amp;status=error"' in (
        expired.get_data(as_text=True)
    )
    # A new PATCH mints a new link.
    again = patch(client, headers, profile_id, review["id"]).json["link"]["value"]
    assert again != link["value"]
    assert client.get(again).status_code == 200


@pytest.mark.parametrize(("decision", "status", "after"), [
    ("submit", "success", "PROCESSING"),
    ("close", "closed", "WAITING_CUSTOMER_INPUT"),
])  # fmt: skip
def test_the_hosted_page_sends_the_customer_back_with_the_outcome(
    client: FlaskClient, decision: str, status: str, after: str
) -> None:
    headers, profile_id = ada(client)
    review = waiting_review(client, profile_id)
    link = patch(client, headers, profile_id, review["id"]).json["link"]["value"]
    token = parse_qs(urlsplit(link).query)["token"][0]
    answer = client.post(
        "/embedded-flows/verification", data={"token": token, "decision": decision}
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("https://partner.example/kyc/return?")
    assert parse_qs(urlsplit(location).query) == {"ref": ["abc"], "status": [status]}
    current = client.get(f"/v2/profiles/{profile_id}/kyc-reviews/{review['id']}", headers=headers)
    assert (current.json["status"], current.json["link"]) == (after, None)
    # One use only.
    assert client.get(link).status_code == 410


def test_the_sandbox_simulation_moves_reviews(client: FlaskClient) -> None:
    headers, profile_id = ada(client)
    review = waiting_review(client, profile_id)
    base = f"/v2/simulation/profiles/{profile_id}/kyc-reviews/{review['id']}"
    assert client.get(f"{base}/requirements", headers=headers).json == {
        "requirements": [
            {"key": "ID_DOCUMENT_WITH_LIVENESS", "state": "NOT_PROVIDED", "description": None}
        ]
    }
    unknown = client.post(
        f"{base}/requirements/submit", json={"requirement": "ACCOUNT_PURPOSE"}, headers=headers
    )
    assert (unknown.status_code, unknown.json["code"]) == (400, "invalid-request")
    submitted = client.post(
        f"{base}/requirements/submit",
        json={"requirement": "ID_DOCUMENT_WITH_LIVENESS"},
        headers=headers,
    )
    assert submitted.status_code == 202
    status = client.get(f"/v2/profiles/{profile_id}/kyc-reviews/{review['id']}", headers=headers)
    assert status.json["status"] == "PROCESSING"
    bad = client.post(f"{base}/verify", json={"requestedAction": "APPROVED"}, headers=headers)
    assert bad.json["code"] == "kyc_review.state_update_not_allowed"
    rejected = client.post(f"{base}/verify", json={"requestedAction": "REJECT"}, headers=headers)
    assert rejected.status_code == 202
    status = client.get(f"/v2/profiles/{profile_id}/kyc-reviews/{review['id']}", headers=headers)
    assert status.json["status"] == "WAITING_CUSTOMER_INPUT"
    client.post(f"{base}/verify", json={"requestedAction": "APPROVE"}, headers=headers)
    status = client.get(f"/v2/profiles/{profile_id}/kyc-reviews/{review['id']}", headers=headers)
    assert status.json["status"] == "PASSED"
    # Business profiles only.
    personal = client.post(f"{base}/requirements/add", json={}, headers=headers)
    assert (personal.status_code, personal.json["code"]) == (400, "invalid-request")
    missing = client.get(
        f"/v2/simulation/profiles/{profile_id}/kyc-reviews/nope/requirements", headers=headers
    )
    assert missing.status_code == 404
    assert missing.json == {
        "code": "kyc_review.not_found",
        "category": "CLIENT",
        "description": "KycReview not found",
        "details": None,
    }


def test_reviews_of_another_users_profile_are_out_of_reach(client: FlaskClient) -> None:
    _, profile_id = ada(client)
    review = waiting_review(client, profile_id)
    grace = user_tokens(client, "grace@example.com")
    response = client.get(
        f"/v2/profiles/{profile_id}/kyc-reviews/{review['id']}",
        headers=bearer(grace["access_token"]),
    )
    assert response.status_code == 403


def test_kyc_review_events_are_application_subscriptions_only(client: FlaskClient) -> None:
    headers, profile_id = ada(client)
    response = client.post(
        f"/v3/profiles/{profile_id}/subscriptions",
        json={"name": "kyc", "trigger_on": EVENT,
              "delivery": {"version": "2.0.0", "url": "https://partner.example/hooks"}},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 422
