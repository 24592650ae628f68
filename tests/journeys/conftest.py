"""Browser journeys: Chromium, the stack under test and page objects.

Every journey runs against a stack that is already up, the way QA runs them against a
deployment. By default that stack is ``onboarding-kit demo`` in its own process on free ports,
started once per test process (one per pytest-xdist worker) and given a fresh start before each
journey (``fresh_start``). To run against another stack (for example a staging kit wired to the
emulator), pass ``--kit-url``, ``--emulator-url``, ``--sample-url`` and ``--kit-api-key``, and
``--kit-metrics-token`` when the kit serves ``/metrics``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from sample_app.wise_emulator import EmulatorControl
from tests.journeys.pages import AcmeBank, KitPage, WiseAuthorize
from tests.support.demo_process import running_demo
from tests.support.kit import KitApi
from tests.support.waiting import wait_until

# The kit's queues that a journey's last steps may leave work in: webhooks from Wise still to be
# applied and notifications to Acme still to be sent (the /metrics gauge names).
KIT_QUEUES = ("onboarding_webhooks_pending", "onboarding_notifications_pending")


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
    # Bearer token for the kit's /metrics; without one, fresh_start cannot see the kit's queues.
    metrics_token: str | None = None

    @property
    def kit(self) -> KitApi:
        """The kit's partner API."""
        return KitApi(self.kit_url, self.api_key)

    @property
    def wise(self) -> EmulatorControl:
        """The emulator's control API."""
        return EmulatorControl(self.emulator_url)


@pytest.fixture(scope="session")
def running_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JourneyStack]:
    """The stack named on the command line, or ``onboarding-kit demo`` started for this process.

    The demo runs in its own process, as a new user starts it, with its own database in a scratch
    folder; every journey of this process uses it after a ``fresh_start``. The demo's /metrics is
    switched on with a token made for the run, so ``fresh_start`` can wait for its queues.
    """
    option = request.config.getoption
    if option("--kit-url"):
        missing = [
            name for name in ("--emulator-url", "--sample-url", "--kit-api-key") if not option(name)
        ]
        if missing:
            pytest.fail(f"--kit-url also needs {', '.join(missing)}")
        yield JourneyStack(
            option("--kit-url"),
            option("--emulator-url"),
            option("--sample-url"),
            option("--kit-api-key"),
            option("--kit-metrics-token"),
        )
        return
    token = secrets.token_urlsafe(32)
    folder = tmp_path_factory.mktemp("journey-demo")
    with running_demo(folder, {"ONBOARDING_METRICS_TOKEN": token}) as demo:
        urls = demo.urls
        yield JourneyStack(urls["kit"], urls["emulator"], urls["acme"], demo.api_key, token)


@pytest.fixture
def journey_stack(running_stack: JourneyStack) -> JourneyStack:
    """The running stack, in the state a freshly started one has (see ``fresh_start``)."""
    fresh_start(running_stack)
    return running_stack


def fresh_start(remote: JourneyStack) -> None:
    """Give a journey on a shared stack the state a fresh stack has.

    The emulator is reset (which cancels the webhooks it still had to send and drops its webhook
    subscriptions, so the kit is subscribed again the way an operator would, with
    ``onboarding-kit webhooks subscribe``), and Acme's demo customers are unlinked at the kit.
    Wise's seeded users keep their profile ids across a reset, so a webhook of the previous
    journey that the kit applied late could land on this journey's new link: with a metrics token,
    the kit's webhook and notification queues are first waited empty, after the reset (nothing new
    can be sent to the kit by then) and before anything is unlinked.
    """
    from backend.context import Runtime
    from backend.services import subscriptions
    from backend.settings import load_settings
    from sample_app.acme import DEMO_CUSTOMERS
    from sample_app.wise_emulator import DEMO_CLIENT

    remote.wise.reset()
    if remote.metrics_token:
        wait_until(
            lambda: kit_queues(remote),
            lambda depths: not any(depths.values()),
            timeout=30,
            what="the kit to finish the previous journey's webhooks and notifications",
        )
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


def kit_queues(remote: JourneyStack) -> dict[str, float]:
    """The depths of the kit's queues (``KIT_QUEUES``), read from its /metrics."""
    response = requests.get(
        f"{remote.kit_url}/metrics",
        headers={"Authorization": f"Bearer {remote.metrics_token}"},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    depths: dict[str, float] = {}
    for line in response.text.splitlines():
        name, _, value = line.partition(" ")
        if name in KIT_QUEUES:
            depths[name] = float(value)
    assert set(depths) == set(KIT_QUEUES), response.text
    return depths


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
