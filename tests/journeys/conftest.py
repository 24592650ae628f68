"""Browser journeys: Chromium, the stack under test and page objects.

By default each journey starts its own stack (kit, Wise emulator, Acme Bank) on free loopback
ports with its own database. To run against a stack that is already up (for example a staging
kit wired to the emulator), pass ``--kit-url``, ``--emulator-url``, ``--sample-url`` and
``--kit-api-key``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page

from sample_app.demo import build_stack
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.journeys.pages import AcmeBank, KitPage, WiseAuthorize
from tests.support.kit import KitApi


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Grant the camera, as a customer would at the ID-document step."""
    return {**browser_context_args, "permissions": ["camera"]}


@dataclass(frozen=True)
class JourneyStack:
    """Where the three apps under test live."""

    kit_url: str
    emulator_url: str
    acme_url: str
    api_key: str

    @property
    def kit(self) -> KitApi:
        """The kit's partner API."""
        return KitApi(self.kit_url, self.api_key)

    @property
    def wise(self) -> EmulatorControl:
        """The emulator's control API."""
        return EmulatorControl(self.emulator_url)


@pytest.fixture
def journey_stack(request: pytest.FixtureRequest, database_url: str) -> Iterator[JourneyStack]:
    """A running stack: the one named on the command line, or a fresh one on free ports."""
    option = request.config.getoption
    if option("--kit-url"):
        missing = [
            name for name in ("--emulator-url", "--sample-url", "--kit-api-key") if not option(name)
        ]
        if missing:
            pytest.fail(f"--kit-url also needs {', '.join(missing)}")
        remote = JourneyStack(
            option("--kit-url"),
            option("--emulator-url"),
            option("--sample-url"),
            option("--kit-api-key"),
        )
        fresh_start(remote)
        yield remote
        return
    stack = build_stack(
        database_url=database_url,
        emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
        # The kit's worker runs beside it, as in the demo: webhooks reach the account page.
        worker_poll_seconds=0.05,
    )
    try:
        yield JourneyStack(stack.kit_url, stack.emulator_url, stack.acme_url, stack.secrets.api_key)
    finally:
        stack.stop()


def fresh_start(remote: JourneyStack) -> None:
    """Give a journey on a shared stack the state a fresh stack has.

    The emulator is reset (which drops its webhook subscriptions, so the kit is subscribed again
    the way an operator would, with ``onboarding-kit webhooks subscribe``), and Acme's demo
    customers are unlinked at the kit.
    """
    from backend.context import Runtime
    from backend.services import subscriptions
    from backend.settings import load_settings
    from sample_app.acme import DEMO_CUSTOMERS
    from sample_app.wise_emulator import DEMO_CLIENT

    remote.wise.reset()
    settings = load_settings(
        {
            "ONBOARDING_ENV": "development",
            # Nothing here touches the kit's database: subscribing only talks to Wise.
            "ONBOARDING_DATABASE_URL": "sqlite://",
            "ONBOARDING_PUBLIC_BASE_URL": remote.kit_url,
            "ONBOARDING_WISE_API_URL": remote.emulator_url,
            "ONBOARDING_WISE_AUTHORIZE_URL": f"{remote.emulator_url}/oauth/authorize/",
            "ONBOARDING_WISE_CLIENT_ID": DEMO_CLIENT.client_id,
            "ONBOARDING_WISE_CLIENT_SECRET": DEMO_CLIENT.client_secret,
            "ONBOARDING_WISE_CLIENT_KEY": DEMO_CLIENT.client_key,
        }
    )
    runtime = Runtime.build(settings)
    try:
        with runtime.job() as ctx:
            subscriptions.subscribe(
                ctx=ctx, url=f"{remote.kit_url}/webhooks/wise", allow_loopback_http=True
            )
    finally:
        runtime.close()
    kit = remote.kit
    for customer in DEMO_CUSTOMERS:
        response = kit.http.delete(
            f"{remote.kit_url}/api/v1/customers/{customer.external_id}/wise-link", timeout=15
        )
        assert response.status_code in (204, 404), response.text


@pytest.fixture
def acme(page: Page, journey_stack: JourneyStack) -> AcmeBank:
    """Acme Bank's pages."""
    return AcmeBank(page, journey_stack.acme_url)


@pytest.fixture
def wise_page(page: Page, journey_stack: JourneyStack) -> WiseAuthorize:
    """The (emulated) Wise authorize pages."""
    return WiseAuthorize(page, journey_stack.emulator_url)


@pytest.fixture
def kit_page(page: Page, journey_stack: JourneyStack) -> KitPage:
    """The kit's own pages (errors)."""
    return KitPage(page, journey_stack.kit_url)
