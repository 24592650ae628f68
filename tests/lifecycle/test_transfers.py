"""Transfer statuses from ``transfers#state-change``: the newest ``occurred_at`` wins."""

from __future__ import annotations

import itertools
import json

import pytest
import requests

from tests.lifecycle.conftest import Hooks
from tests.lifecycle.helpers import app_token, link_customer, transfer_body
from tests.support.kit import TIMEOUT

STEPS = [
    ("incoming_payment_waiting", None, "2030-01-01T10:00:00Z"),
    ("processing", "incoming_payment_waiting", "2030-01-01T10:00:07Z"),
    ("funds_converted", "processing", "2030-01-01T10:01:00Z"),
    ("outgoing_payment_sent", "funds_converted", "2030-01-01T11:00:00Z"),
]


def status(hooks: Hooks, transfer_id: int) -> dict[str, object]:
    """The kit's record of the transfer, once it has applied every webhook it stored."""
    hooks.settle()
    response = hooks.api.http.get(
        f"{hooks.stack.kit_url}/api/v1/wise-transfers/{transfer_id}", timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_out_of_order_events_end_at_the_newest_state(hooks: Hooks, order: tuple[int, ...]) -> None:
    for index in order:
        state, previous, at = STEPS[index]
        assert hooks.post(transfer_body(111, state, at, previous)).status_code == 200
    assert status(hooks, 111) == {
        "transfer_id": 111,
        "profile_id": 30000001,
        "current_state": "outgoing_payment_sent",
        "previous_state": "funds_converted",
        "occurred_at": "2030-01-01T11:00:00Z",
    }


def test_an_older_event_never_moves_a_transfer_back(hooks: Hooks) -> None:
    hooks.post(transfer_body(222, "funds_converted", "2030-01-01T10:05:00Z", "processing"))
    hooks.post(transfer_body(222, "processing", "2030-01-01T10:00:00Z", "incoming_payment_waiting"))
    assert status(hooks, 222)["current_state"] == "funds_converted"


@pytest.mark.parametrize("processing_first", [True, False])
def test_steps_of_the_same_second_keep_the_later_step(hooks: Hooks, processing_first: bool) -> None:
    same = "2030-01-01T10:00:00Z"
    events = [
        transfer_body(333, "processing", same, "incoming_payment_waiting"),
        transfer_body(333, "incoming_payment_waiting", same),
    ]
    for body in events if processing_first else reversed(events):
        hooks.post(body)
    assert status(hooks, 333)["current_state"] == "processing"


def test_an_unknown_transfer_is_404(hooks: Hooks) -> None:
    response = hooks.api.http.get(f"{hooks.stack.kit_url}/api/v1/wise-transfers/9", timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    bad = hooks.api.http.get(f"{hooks.stack.kit_url}/api/v1/wise-transfers/abc", timeout=TIMEOUT)
    assert bad.status_code == 404
    # Beyond BIGINT: cannot exist, and must not reach the driver (it would refuse to bind it).
    huge = hooks.api.http.get(
        f"{hooks.stack.kit_url}/api/v1/wise-transfers/{10**30}", timeout=TIMEOUT
    )
    assert huge.status_code == 404
    assert huge.json()["error"] == "not_found"
    anonymous = requests.get(f"{hooks.stack.kit_url}/api/v1/wise-transfers/9", timeout=TIMEOUT)
    assert anonymous.status_code == 401


def test_the_emulators_transfer_simulation_drives_the_status(hooks: Hooks) -> None:
    linked = link_customer(hooks.api, hooks.wise, hooks.stack)
    transfer = hooks.wise.create_transfer(linked.profile_id)
    hooks.wise.flush_webhooks()
    assert status(hooks, transfer["id"])["current_state"] == "incoming_payment_waiting"
    token = app_token(hooks.stack)
    for step in ("processing", "funds_converted"):
        hooks.wise.advance_clock(5)  # Wise asks for five seconds between simulation calls
        moved = requests.get(
            f"{hooks.stack.emulator_url}/v1/simulation/transfers/{transfer['id']}/{step}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        assert moved.status_code == 200, moved.text
    # Deliver the newest first: the older event arriving afterwards changes nothing.
    deliveries = hooks.wise.deliveries()
    pending = [d for d in deliveries if d["state"] == "pending"]
    assert [d["body"]["data"]["current_state"] for d in pending] == [
        "processing",
        "funds_converted",
    ]
    for delivery in reversed(pending):
        body = json.dumps(delivery["body"], separators=(",", ":")).encode()
        assert hooks.post(body).status_code == 200
    assert status(hooks, transfer["id"])["current_state"] == "funds_converted"
    assert status(hooks, transfer["id"])["previous_state"] == "processing"
