"""Probes, migrations, security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import SQLModel

import backend.models  # noqa: F401
from backend import create_app
from backend import db as database
from sample_app.serving import free_port


def test_healthz_answers_while_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ok_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable(config: dict[str, Any]) -> None:
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    app = create_app({**config, "ONBOARDING_DATABASE_URL": closed})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unreachable"}


def test_readyz_is_503_when_migrations_are_pending(config: dict[str, Any], tmp_path: Path) -> None:
    app = create_app({**config, "ONBOARDING_DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "migrations_pending"}


def test_api_answers_503_not_500_when_the_database_is_gone(
    config: dict[str, Any], tmp_path: Path, api_headers: dict[str, str]
) -> None:
    app = create_app({**config, "ONBOARDING_DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"})
    response = app.test_client().get(
        "/api/v1/onboarding-sessions/0f1e2d3c-0000-4000-8000-000000000000", headers=api_headers
    )
    assert response.status_code == 503
    assert response.json["error"] == "service_unavailable"
    assert response.headers["Retry-After"] == "5"


def test_migrations_match_the_models(database_url: str) -> None:
    engine = database.make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_migrations_downgrade_and_upgrade_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/roundtrip.db"
    database.upgrade(url)
    from alembic import command

    command.downgrade(database.alembic_config(url), "base")
    database.upgrade(url)
    assert database.schema_status(database.make_engine(url)) == "ok"


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgres(postgres_url: str) -> None:
    engine = database.make_engine(postgres_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert database.schema_status(engine) == "ok"
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/onboarding-sessions/x", "/nope"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # no script may run on the kit's pages
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_browser_404_is_a_friendly_page(client: FlaskClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert "text/html" in response.headers["Content-Type"]
    assert "Page not found" in response.get_data(as_text=True)


def test_every_sqlite_connection_is_durable_and_waits_for_writers(tmp_path: Path) -> None:
    engine = database.make_engine(f"sqlite:///{tmp_path}/pragmas.db")
    # Each pooled connection gets them on connect, not only the first one.
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
