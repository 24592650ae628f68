"""Fixtures for prefill mode: the demo stack with a short Wise time budget, and prefill bodies."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from sample_app.demo import Stack, build_stack
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.support.factories import API_KEY, TEST_RETURN_URLS
from tests.support.kit import TIMEOUT, KitApi, Launched

CLIENT_ID = "acme-bank-demo"
SIGN_UP = "POST /v1/user/signup/registration_code"
CLAIM = "POST /v1/user/claim-account"
# Short enough that "Wise stays down" tests end quickly, long enough for a loaded test machine.
TEST_BUDGET_SECONDS = "2"

PERSONAL_CUSTOMER: dict[str, Any] = {
    "external_id": "c-mary",
    "email": "mary@example.com",
    "date_of_birth": "1980-12-26",
    "type": "personal",
    "prefill": {
        "first_name": "Mary",
        "last_name": "Somerville",
        "preferred_name": "Molly",
        "phone_number": "+447700900123",
        "address": {
            "first_line": "1 Burntisland Road",
            "city": "Edinburgh",
            "post_code": "EH1 1AA",
            "country": "GBR",
        },
        "nationality": "GBR",
        "occupation": "Mathematician",
    },
}

BUSINESS_CUSTOMER: dict[str, Any] = {
    "external_id": "c-engines",
    "email": "charles@engines.example",
    "type": "business",
    "prefill": {
        "business_name": "Difference Engines Ltd",
        "registration_number": "SC123456",
        "company_type": "LIMITED",
        "company_role": "DIRECTOR",
        "first_level_category": "CONSULTING_IT_BUSINESS_SERVICES",
        "second_level_category": "SCIENTIFIC_AND_TECHNICAL_CONSULTING",
        "webpage": "https://engines.example",
        "business_free_form_description": "Calculating engines, designed and built to order.",
        "address": {
            "first_line": "1 Dorset Street",
            "city": "London",
            "post_code": "W1U 4EG",
            "country": "gbr",
        },
        "business_representative": {
            "first_name": "Charles",
            "last_name": "Babbage",
            "date_of_birth": "1971-12-26",
            "phone_number": "+447700900456",
            "address": {
                "first_line": "1 Dorset Street",
                "city": "London",
                "post_code": "W1U 4EG",
                "country": "GBR",
            },
        },
        "directors": [
            {
                "first_name": "Charles",
                "last_name": "Babbage",
                "date_of_birth": "1971-12-26",
                "country_of_residence": "GBR",
            }
        ],
        "ubos": [
            {
                "name": "Georgiana Whitmore",
                "date_of_birth": "1970-01-01",
                "country_of_residence": "GBR",
                "ownership_percentage": 60,
            }
        ],
    },
}


def prefill_body(customer: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid prefill-mode session body (personal by default) with top-level overrides."""
    return {
        "mode": "prefill",
        "customer": copy.deepcopy(customer or PERSONAL_CUSTOMER),
        "return_url": TEST_RETURN_URLS[0],
        "ttl_seconds": 600,
        **overrides,
    }


@dataclass(frozen=True)
class PrefillKit:
    """The kit as a partner backend and a browser use it in prefill mode."""

    api: KitApi
    stack: Stack

    @property
    def callback_url(self) -> str:
        """The kit's OAuth return URL, registered at the emulator."""
        return f"{self.stack.kit_url}/oauth/wise/callback"

    def create(self, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        """Create a session; return the 201 body."""
        response = self.post(body, **headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def post(self, body: dict[str, Any], **headers: str) -> requests.Response:
        """POST a session body with extra headers (``Idempotency_Key`` → ``Idempotency-Key``)."""
        return self.api.http.post(
            f"{self.api.base_url}/api/v1/onboarding-sessions",
            json=body,
            headers={name.replace("_", "-"): value for name, value in headers.items()},
            timeout=TIMEOUT,
        )

    def launch(self, created: dict[str, Any]) -> Launched:
        """Follow the launch link as a fresh browser; the redirect must be issued."""
        return self.api.launch(created["launch_url"], created["id"])

    def session(self, session_id: str) -> dict[str, Any]:
        """Read a session through the partner API."""
        return self.api.get_session(session_id)

    def claim_and_return(
        self, launched: Launched, email: str, profile: str = "PERSONAL"
    ) -> requests.Response:
        """The customer claims the account at Wise and consents to share ``profile`` (its type);
        the browser returns to the kit."""
        wise = EmulatorControl(self.stack.emulator_url)
        chosen = None  # the emulator's default: the first profile, personal ones first
        if profile != "PERSONAL":
            user = wise.get_user(email)
            assert user is not None
            chosen = next(p["id"] for p in user["profiles"] if p["type"] == profile)
        granted = wise.authorize(
            CLIENT_ID,
            self.callback_url,
            email,
            profile_id=chosen,
            state=launched.state,
            claim_account_code=claim_code_of(launched),
        )
        return self.api.callback(query_of(granted["redirect_url"]), launched.cookies)

    def log_in_and_return(self, launched: Launched, email: str) -> requests.Response:
        """The customer logs in to an existing Wise account and consents."""
        granted = EmulatorControl(self.stack.emulator_url).authorize(
            CLIENT_ID, self.callback_url, email, state=launched.state
        )
        return self.api.callback(query_of(granted["redirect_url"]), launched.cookies)


def query_of(url: str) -> dict[str, str]:
    """A URL's query as a flat dict."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def claim_code_of(launched: Launched) -> str | None:
    """The claim_account_code of the authorize URL the kit redirected to, if any."""
    return query_of(launched.authorize_url).get("claim_account_code")


def created_counts(wise: EmulatorControl) -> tuple[int, int]:
    """Users and profiles the emulator has created so far (demo users included)."""
    counters = wise.counters()
    return counters["users_created"], counters["profiles_created"]


def db_value(database_url: str, sql: str) -> Any:
    """One value read straight from the kit's database."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def registration_code(stack: Stack, database_url: str, customer: str = "c-mary") -> str:
    """The registration code the kit keeps (encrypted) for a customer."""
    ciphertext = db_value(
        database_url,
        "SELECT registration_code_ciphertext FROM prefill_account "
        f"WHERE customer_external_id = '{customer}'",
    )
    return str(runtime_of(stack.kit_app).cipher.decrypt(ciphertext))


@pytest.fixture
def stack_factory(database_url: str, clock: FrozenClock) -> Iterator[Callable[..., Stack]]:
    """Start demo stacks on this test's database; keyword arguments override kit settings."""
    started: list[Stack] = []

    def start(database: str | None = None, **overrides: Any) -> Stack:
        running = build_stack(
            database_url=database or database_url,
            kit_overrides={
                "CLOCK": clock,
                "ONBOARDING_API_KEYS": API_KEY,
                "ONBOARDING_RETURN_URLS": ",".join(TEST_RETURN_URLS),
                "ONBOARDING_PREFILL_TIME_BUDGET_SECONDS": TEST_BUDGET_SECONDS,
                **overrides,
            },
            emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
        )
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
        runtime_of(running.kit_app).engine.dispose()


@pytest.fixture
def stack(stack_factory: Callable[..., Stack]) -> Stack:
    """The demo stack with a short prefill time budget (overrides the suite-wide fixture)."""
    return stack_factory()


@pytest.fixture
def prefill_kit(kit: KitApi, stack: Stack) -> PrefillKit:
    """The running kit in prefill terms."""
    return PrefillKit(kit, stack)
