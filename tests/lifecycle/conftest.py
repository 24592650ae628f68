"""Fixtures for the link lifecycle: linked customers, a stack on either database, a receiver."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from backend.clock import FrozenClock
from backend.extensions import runtime_of
from sample_app.demo import Stack, build_stack
from sample_app.serving import ServerThread
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.lifecycle.helpers import (
    LifecycleApi,
    Linked,
    PartnerReceiver,
    Signer,
    link_customer,
    settled,
)
from tests.support.factories import API_KEY, TEST_RETURN_URLS
from tests.support.kit import TIMEOUT

# Re-exported: the lifecycle tests import it from here.
from tests.support.postgres import ON_BOTH_DATABASES as ON_BOTH_DATABASES


@pytest.fixture
def api(stack: Stack) -> LifecycleApi:
    """The kit's partner API, with the lifecycle endpoints."""
    return LifecycleApi(stack.kit_url)


@pytest.fixture
def linked(api: LifecycleApi, wise: EmulatorControl, stack: Stack) -> Linked:
    """Customer c-123 linked to the emulator's Ada."""
    return link_customer(api, wise, stack)


@pytest.fixture
def db_stack(db_url: str, clock: FrozenClock) -> Iterator[Stack]:
    """The demo stack with the kit on ``db_url``."""
    running = stack_with(db_url, clock)
    yield running
    running.stop()
    runtime_of(running.kit_app).engine.dispose()


@pytest.fixture
def receiver() -> Iterator[PartnerReceiver]:
    """A partner endpoint for notifications, on a free port."""
    target = PartnerReceiver()
    with ServerThread(target) as server:
        target.url = f"http://127.0.0.1:{server.port}/wise-notifications"
        yield target
    target.release()


def stack_with(
    database_url: str, clock: FrozenClock, signer: Signer | None = None, **overrides: Any
) -> Stack:
    """A stack whose kit has extra settings, and whose emulator signs with ``signer``'s key."""
    return build_stack(
        database_url=database_url,
        kit_overrides={
            "CLOCK": clock,
            "ONBOARDING_API_KEYS": API_KEY,
            "ONBOARDING_RETURN_URLS": ",".join(TEST_RETURN_URLS),
            **overrides,
        },
        emulator_config=EmulatorConfig(
            clients=[],
            deliver_webhooks_automatically=False,
            webhook_private_key_pem=signer.private_pem if signer else None,
        ),
    )


@pytest.fixture
def signer() -> Signer:
    """The key pair the emulator signs webhooks with, so tests can sign deliveries too."""
    return Signer.shared()


@dataclass
class Hooks:
    """A stack whose Wise emulator signs with a key the test holds, and ways to drive it."""

    stack: Stack
    signer: Signer
    api: LifecycleApi
    wise: EmulatorControl

    def post(self, body: bytes, delivery_id: str | None = None, **headers: str) -> Any:
        """Deliver ``body`` to the kit as Wise would, signed."""
        return requests.post(
            f"{self.stack.kit_url}/webhooks/wise",
            data=body,
            headers=self.signer.headers(body, delivery_id or str(uuid.uuid4()), **headers),
            timeout=TIMEOUT,
        )

    def settle(self) -> None:
        """Wait until the kit has applied what it stored (it answers Wise first)."""
        settled(self.stack)


@pytest.fixture
def pg_hooks(postgres_url: str, clock: FrozenClock, signer: Signer) -> Iterator[Hooks]:
    """Like ``hooks``, with the kit on a fresh PostgreSQL database."""
    running = stack_with(postgres_url, clock, signer)
    yield Hooks(
        running, signer, LifecycleApi(running.kit_url), EmulatorControl(running.emulator_url)
    )
    running.stop()
    runtime_of(running.kit_app).engine.dispose()


@pytest.fixture
def hooks(db_url: str, clock: FrozenClock, signer: Signer) -> Iterator[Hooks]:
    """The demo stack with a known webhook key pair, on ``db_url``."""
    running = stack_with(db_url, clock, signer)
    yield Hooks(
        running, signer, LifecycleApi(running.kit_url), EmulatorControl(running.emulator_url)
    )
    running.stop()
    runtime_of(running.kit_app).engine.dispose()


PARTNER_SECRET = "whsec_test_0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def notified(
    db_url: str, clock: FrozenClock, signer: Signer, receiver: PartnerReceiver
) -> Iterator[Hooks]:
    """A stack on ``db_url`` whose kit pushes link changes to ``receiver``."""
    running = stack_with(
        db_url,
        clock,
        signer,
        ONBOARDING_PARTNER_WEBHOOK_URL=receiver.url,
        ONBOARDING_PARTNER_WEBHOOK_SECRET=PARTNER_SECRET,
    )
    yield Hooks(
        running, signer, LifecycleApi(running.kit_url), EmulatorControl(running.emulator_url)
    )
    receiver.release()
    running.stop()
    runtime_of(running.kit_app).engine.dispose()
