"""The baseline's one table: a customer's Wise tokens, as a partner would add them to its schema."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, Text, create_engine
from sqlalchemy.engine import Engine

ENGINE_KEY = "bench.baseline.engine"
metadata = MetaData()
tokens = Table(
    "partner_wise_token",
    metadata,
    Column("customer_id", String(128), primary_key=True),
    Column("profile_id", BigInteger, nullable=False),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text),
    Column("expires_at", BigInteger),
    Column("updated_at", DateTime, nullable=False),
)


def init_app(app: Flask, database_url: str) -> None:
    """Give the app its engine (SQLAlchemy's defaults, as a partner would start)."""
    app.extensions[ENGINE_KEY] = create_engine(database_url)


def engine_of(app: Flask) -> Engine:
    """The app's database engine."""
    engine: Engine = app.extensions[ENGINE_KEY]
    return engine


def create_schema(database_url: str) -> None:
    """Create the token table; the bench runs this once, before gunicorn starts."""
    engine = create_engine(database_url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
