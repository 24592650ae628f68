"""Schemathesis against a running kit: every operation, and every answer matches the contract.

The kit runs on a free port beside the Wise emulator with its own database, seeded so the
success answers are reachable: a linked customer, its session, a second linked customer to
unlink, and a transfer. The seeded ids are examples in the document fuzzed (built from the
routes, as the kit serves it), webhook bodies are signed with the key the kit trusts, and each
generated request is checked: no 5xx, a documented status, the documented content type, headers
and body. Each operation gets its own running kit and database.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from backend.app import register_blueprints
from backend.clock import FrozenClock
from backend.extensions import runtime_of
from backend.openapi import build_document
from sample_app.demo import Stack, build_stack
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.contract.conftest import FUZZ_SUMMARY
from tests.lifecycle.helpers import Signer, link_customer, settled, transfer_body
from tests.support.factories import API_KEY, RETURN_URL, TEST_RETURN_URLS, session_body
from tests.support.kit import TIMEOUT, KitApi

# Bounded for a 2-core CI machine: examples, boundary cases, then this many fuzzed cases each.
MAX_EXAMPLES = int(os.environ.get("ONBOARDING_TEST_FUZZ_EXAMPLES", "40"))
SEED = int(os.environ.get("ONBOARDING_TEST_FUZZ_SEED", "20251204"))
UNLINKED = "c-unlink"
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429"]


@dataclass
class Tally:
    """What the whole run sent: generated cases, HTTP requests (checks re-send some), statuses."""

    cases: int = 0
    requests: int = 0
    operations: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.by_status.items()))
        return (
            f"schemathesis: {self.cases} generated cases, {self.requests} requests to the running "
            f"kit over {self.operations} operations in {time.monotonic() - self.started:.0f} s "
            f"({statuses})"
        )


@dataclass
class Seeded:
    """The running kit, what its database holds, and the run's tally."""

    stack: Stack
    signer: Signer
    session_id: str
    tally: Tally


class CountingSession(requests.Session):
    """Counts every request sent (schemathesis's own re-sends too) and signs webhook bodies.

    Webhook bodies are signed over the exact bytes sent, with the key the kit trusts, whenever
    the case carries a signature header: the kit's success path gets fuzzed too, and a request
    without the header (schemathesis's missing-header check) stays unsigned.
    """

    def __init__(self, seeded: Seeded) -> None:
        super().__init__()
        self.seeded = seeded

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        webhook = (request.url or "").endswith("/webhooks/wise")
        if webhook and "X-Signature-SHA256" in request.headers:
            body = request.body or b""
            raw = body.encode() if isinstance(body, str) else body
            request.headers["X-Signature-SHA256"] = self.seeded.signer.sign(raw)
        response = super().send(request, **kwargs)
        self.seeded.tally.requests += 1
        self.seeded.tally.by_status[response.status_code] += 1
        return response


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """Count the whole run, and report it at the end (the number CI logs keep)."""
    counted = Tally()
    yield counted
    request.config.stash[FUZZ_SUMMARY] = counted.summary()
    results = Path(request.config.rootpath) / "test-results"
    results.mkdir(exist_ok=True)
    (results / "schemathesis.txt").write_text(counted.summary() + "\n")


@pytest.fixture
def seeded(database_url: str, clock: FrozenClock, tally: Tally) -> Iterator[Seeded]:
    """The stack on this test's database, with a linked customer, a session and a transfer."""
    signer = Signer()
    stack = build_stack(
        database_url=database_url,
        kit_overrides={
            "CLOCK": clock,
            "ONBOARDING_API_KEYS": API_KEY,
            "ONBOARDING_RETURN_URLS": ",".join(TEST_RETURN_URLS),
            # Rate limits are tested on their own (tests/backend/test_rate_limits.py); the fuzzer
            # is one client sending thousands of requests, and every one should be judged.
            "ONBOARDING_RATE_LIMIT_API": "1000000/minute",
            "ONBOARDING_RATE_LIMIT_AUTH_FAILURES": "1000000/minute",
            "ONBOARDING_RATE_LIMIT_BROWSER": "1000000/minute",
            "ONBOARDING_RATE_LIMIT_CAMERA_CHECK": "1000000/minute",
            "ONBOARDING_RATE_LIMIT_WEBHOOKS": "1000000/minute",
        },
        emulator_config=EmulatorConfig(
            clients=[],
            deliver_webhooks_automatically=False,
            webhook_private_key_pem=signer.private_pem,
        ),
    )
    try:
        kit, wise = KitApi(stack.kit_url), EmulatorControl(stack.emulator_url)
        link_customer(kit, wise, stack)
        link_customer(kit, wise, stack, external_id=UNLINKED)
        session_id = kit.create_session()["id"]
        delivered = requests.post(
            f"{stack.kit_url}/webhooks/wise",
            data=(body := transfer_body(TRANSFER_ID, "processing", "2030-01-01T10:00:00Z")),
            headers=signer.headers(body),
            timeout=TIMEOUT,
        )
        assert delivered.status_code == 200, delivered.text
        settled(stack)
        served = requests.get(f"{stack.kit_url}/api/v1/openapi.json", timeout=TIMEOUT).json()
        # What is fuzzed is what the kit serves (examples aside).
        assert served["paths"].keys() == fuzzed_document()["paths"].keys()
        tally.operations += 1
        yield Seeded(stack, signer, session_id, tally)
    finally:
        stack.stop()
        runtime_of(stack.kit_app).engine.dispose()


SEEDED_SESSION = "seeded-session"  # stands for the id the seeding made; replaced per test
TRANSFER_ID = 4242


def fuzzed_document() -> dict[str, Any]:
    """The kit's document, built from its routes, with the seeded resources as examples."""
    app = Flask("backend")
    register_blueprints(app)
    document = build_document(app)
    examples = {"external_id": "c-123", "session_id": SEEDED_SESSION, "transfer_id": TRANSFER_ID}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", ()):
                if param["in"] == "path" and param["name"] in examples:
                    value = examples[param["name"]]
                    if method == "delete" and param["name"] == "external_id":
                        value = UNLINKED  # keep c-123 linked for the other examples
                    param["example"] = value
            if path == "/api/v1/onboarding-sessions" and method == "post":
                content = operation["requestBody"]["content"]["application/json"]
                content["example"] = session_body(return_url=RETURN_URL)
    return document


schema = schemathesis.openapi.from_dict(
    fuzzed_document(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            # The kit refuses more than a schema can say, each with a documented 4xx: return
            # URLs outside this deployment's allowlist, control characters in any string, dates
            # after today, a reused Idempotency-Key. So schema-valid is not always acceptable;
            # every other check (no 5xx, documented statuses and bodies) still holds.
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                # A body over the size limit is refused before it is read: 413 is a rejection.
                "negative_data_rejection": {"expected-statuses": [*REJECTIONS, "413"]},
            },
        }
    ),
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    # One running kit per operation serves all of its examples: that is the point, not a leak.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_running_kit_keeps_its_contract(case: Case, seeded: Seeded) -> None:
    seeded.tally.cases += 1
    if case.path_parameters and case.path_parameters.get("session_id") == SEEDED_SESSION:
        case.path_parameters["session_id"] = seeded.session_id
    session = CountingSession(seeded)
    case.call_and_validate(
        base_url=seeded.stack.kit_url,
        session=session,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=TIMEOUT,
    )
