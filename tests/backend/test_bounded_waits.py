"""Bounded waits: a database that accepts connections but never answers costs a request about the
statement timeout, a 503 with Retry-After, and never the process's health."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from backend import create_app
from backend.extensions import runtime_of
from backend.worker import Worker
from sample_app.serving import ServerThread
from tests.lifecycle.helpers import Signer, query, transfer_body
from tests.support.db_proxy import FreezableProxy
from tests.support.factories import kit_config

STATEMENT_TIMEOUT = 1.0
# The statement timeout, the watchdog's grace, and room for a loaded machine.
BOUND = STATEMENT_TIMEOUT + 2.5


@dataclass
class FrozenDb:
    """A kit served over HTTP whose PostgreSQL sits behind a proxy the test can freeze."""

    url: str
    proxy: FreezableProxy
    signer: Signer
    database_url: str
    app: Any

    def webhook(self, transfer_id: int) -> requests.Response:
        body = transfer_body(transfer_id, "processing", "2030-01-01T10:00:00Z")
        return requests.post(
            f"{self.url}/webhooks/wise", data=body, headers=self.signer.headers(body), timeout=30
        )


@pytest.fixture
def frozen_db(postgres_url: str) -> Iterator[FrozenDb]:
    proxy, through = FreezableProxy.in_front_of(postgres_url)
    signer = Signer()
    app = create_app(
        {
            **kit_config(database_url=through),
            "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": signer.public_pem,
            "ONBOARDING_DATABASE_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT),
            "ONBOARDING_DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
            "ONBOARDING_DATABASE_POOL_TIMEOUT_SECONDS": "1",
        }
    )
    with proxy, ServerThread(app) as server:
        yield FrozenDb(f"http://127.0.0.1:{server.port}", proxy, signer, postgres_url, app)
        proxy.thaw()
        runtime_of(app).engine.dispose()


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.postgres
def test_a_database_that_stops_answering_gives_503_within_the_bound(frozen_db: FrozenDb) -> None:
    db = frozen_db
    assert db.webhook(1).status_code == 200  # warm: pooled connections exist
    assert requests.get(f"{db.url}/readyz", timeout=10).status_code == 200
    db.proxy.freeze()
    answer, took = timed(lambda: db.webhook(2))
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "service_unavailable"
    assert answer.headers["Retry-After"] == "5"
    assert took < BOUND, f"the webhook waited {took:.1f}s"
    ready, took = timed(lambda: requests.get(f"{db.url}/readyz", timeout=30))
    assert ready.status_code == 503
    assert took < BOUND + 2.0  # may open a new connection: the connect timeout is 2 s
    # Twenty requests at once, every thread waiting on the database: liveness still answers.
    with ThreadPoolExecutor(max_workers=20) as pool:
        pending = [pool.submit(timed, lambda n=n: db.webhook(100 + n)) for n in range(20)]
        time.sleep(0.2)  # let them all reach the database before probing
        health, health_took = timed(lambda: requests.get(f"{db.url}/healthz", timeout=10))
        answers = [future.result() for future in pending]
    assert health.status_code == 200
    assert health_took < 1.0, f"/healthz took {health_took:.1f}s"
    assert {response.status_code for response, _ in answers} == {503}
    assert max(took for _, took in answers) < 2 * BOUND + 2.0
    # The database answers again: nothing was half-written, and Wise's retries get through.
    db.proxy.thaw()
    assert db.webhook(2).status_code == 200
    stored = query(db.database_url, "SELECT event_type FROM wise_webhook_event")
    assert len(stored) == 2


@pytest.mark.postgres
def test_the_worker_is_not_held_by_a_frozen_database_and_catches_up(frozen_db: FrozenDb) -> None:
    db = frozen_db
    assert db.webhook(7).status_code == 200
    worker = Worker(runtime_of(db.app))
    db.proxy.freeze()
    _, took = timed(worker.run_once)
    assert took < 4 * BOUND, f"a worker round took {took:.1f}s on a frozen database"
    db.proxy.thaw()
    worker.drain()
    rows = query(db.database_url, "SELECT status, outcome FROM wise_webhook_event")
    assert rows == [{"status": "done", "outcome": "applied"}]
    assert query(db.database_url, "SELECT transfer_id FROM wise_transfer_status") == [
        {"transfer_id": 7}
    ]
