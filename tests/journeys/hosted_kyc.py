"""Hosted KYC steps the journeys share: what the kit knows, and the sandbox's approval."""

from __future__ import annotations

from typing import Any

import requests

from tests.journeys.conftest import JourneyStack
from tests.support.waiting import wait_until


def kit_reviews(journey_stack: JourneyStack) -> list[dict[str, Any]]:
    """What the kit knows about Ada's KYC reviews, after sending what Wise has queued."""
    journey_stack.wise.flush_webhooks()
    kit = journey_stack.kit
    response = kit.http.get(
        f"{kit.base_url}/api/v1/customers/c-ada/wise-link/kyc-reviews", timeout=15
    )
    assert response.status_code == 200, response.text
    return list(response.json()["kyc_reviews"])


def review_status(journey_stack: JourneyStack, review_id: str) -> str | None:
    """The status the kit has for one of Ada's reviews (None while it does not know it)."""
    found = [r for r in kit_reviews(journey_stack) if r["id"] == review_id]
    return str(found[0]["status"]) if found else None


def approve_in_sandbox(journey_stack: JourneyStack, profile_id: int, review_id: str) -> None:
    """Have the sandbox approve Ada's review, and wait until the kit knows (PASSED).

    A journey that leaves a review open would leave it on Ada's account page for the next
    journey on a shared stack; approving it ends it the way Wise would.
    """
    kit = journey_stack.kit
    token = kit.http.post(
        f"{kit.base_url}/api/v1/customers/c-ada/wise-link/access-token", timeout=15
    ).json()["access_token"]
    approved = requests.post(
        f"{journey_stack.emulator_url}/v2/simulation/profiles/{profile_id}"
        f"/kyc-reviews/{review_id}/verify",
        json={"requestedAction": "APPROVE"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert approved.status_code == 202, approved.text
    wait_until(
        lambda: review_status(journey_stack, review_id),
        lambda status: status == "PASSED",
        timeout=15,
        what="Wise's PASSED webhook",
    )
