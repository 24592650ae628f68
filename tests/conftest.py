"""Shared fixtures: a fresh database per test, a frozen clock, the kit app and the demo stack."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend import create_app
from backend import db as database
from backend.clock import FrozenClock
from sample_app.demo import Stack, build_stack
from sample_app.wise_emulator import EmulatorConfig, EmulatorControl
from tests.support.browser import BASE_ARGS, FAKE_CAMERA_ARGS, system_chromium
from tests.support.factories import API_KEY, kit_config, stack_overrides
from tests.support.kit import KitApi
from tests.support.postgres import postgres_database


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options to point the browser journeys at an already running stack."""
    group = parser.getgroup("onboarding kit")
    group.addoption("--kit-url", help="base URL of a running kit (default: start one)")
    group.addoption("--emulator-url", help="base URL of the Wise emulator the kit talks to")
    group.addoption("--sample-url", help="base URL of a running Acme Bank sample app")
    group.addoption(
        "--kit-api-key",
        help="partner API key of the running kit; write --kit-api-key=KEY (a key may start with -)",
    )
    group.addoption(
        "--kit-metrics-token",
        help="the running kit's ONBOARDING_METRICS_TOKEN: each journey then first waits until the "
        "kit has applied the previous journey's webhooks and sent its notifications",
    )


# The files that take longest, longest first. With a worker per core and one more (`make test`),
# work goes out file by file in collection order (--no-loadscope-reorder), so these start at once
# and the many short files fill in beside them; left to the end, one would run alone for a minute.
LONGEST_FIRST = (
    "tests/fleet/test_fleet.py",
    "tests/journeys/test_page_gallery.py",
    "tests/shims/test_camera_check.py",
    "tests/lifecycle/test_hosted_kyc.py",
    "tests/lifecycle/test_webhook_queue.py",
    "tests/journeys/test_core_journeys.py",
    "tests/emulator/test_browser_pages.py",
    "tests/test_boundaries.py",
    "tests/backend/test_bounded_waits.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, run the longest files first (``LONGEST_FIRST``); the rest keep order.

    Only the scheduling of parallel workers gains from it. A run in one process (a QA run of the
    journeys against a deployment included) keeps the plain file order it always had.
    """
    if not hasattr(config, "workerinput"):
        return
    rank = {path: position for position, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium when there is one, with a fake camera for the ID step."""
    args = {**browser_type_launch_args, "args": [*BASE_ARGS, *FAKE_CAMERA_ARGS]}
    executable = system_chromium()
    if executable:
        args["executable_path"] = executable
    return args


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the kit explicitly; a developer's ONBOARDING_* variables must not leak in."""
    import os

    for name in list(os.environ):
        if name.startswith("ONBOARDING_") and not name.startswith("ONBOARDING_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run; each test copies it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    """A fresh, migrated SQLite database for this test only."""
    path = tmp_path / "onboarding.db"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per run, the template of every test's database."""
    with postgres_database() as url:
        database.upgrade(url)
        yield url


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test only (skipped when unreachable)."""
    with postgres_database(template=postgres_template) as url:
        yield url


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """The test's database: SQLite, or a fresh PostgreSQL one under ``ON_BOTH_DATABASES``."""
    kind = getattr(request, "param", "sqlite")
    return str(request.getfixturevalue("postgres_url" if kind == "postgres" else "database_url"))


@pytest.fixture
def clock() -> FrozenClock:
    """A clock that moves only when the test says so."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def config(db_url: str, clock: FrozenClock) -> dict[str, Any]:
    """Kit settings for a test app; Wise points at a closed port unless a test overrides it."""
    return {**kit_config(database_url=db_url), "CLOCK": clock}


@pytest.fixture
def app(config: dict[str, Any]) -> Flask:
    """The kit, built through its factory."""
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the kit."""
    return app.test_client()


@pytest.fixture
def stack(db_url: str, clock: FrozenClock) -> Iterator[Stack]:
    """Kit, Wise emulator and Acme Bank on free loopback ports, the kit on the test's database."""
    running = build_stack(
        database_url=db_url,
        kit_overrides=stack_overrides(clock),
        emulator_config=EmulatorConfig(clients=[], deliver_webhooks_automatically=False),
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def kit(stack: Stack) -> KitApi:
    """The running kit, seen by a partner backend and a browser."""
    return KitApi(stack.kit_url)


@pytest.fixture
def wise(stack: Stack) -> EmulatorControl:
    """The control API of the running Wise emulator."""
    return EmulatorControl(stack.emulator_url)


@pytest.fixture
def api_headers() -> dict[str, str]:
    """Partner API headers with a valid key."""
    return {"Authorization": f"Bearer {API_KEY}"}


__all__ = ["API_KEY"]
