"""A partner's own token read: one row by primary key, from the same database as the kit."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify
from sqlalchemy import select

from bench.baselines.storage import engine_of, tokens

bp = Blueprint("bare_token", __name__)


@bp.get("/customers/<customer_id>/wise-token")
def read_token(customer_id: str) -> Response:
    """Return the customer's stored access token."""
    query = select(tokens.c.access_token, tokens.c.expires_at).where(
        tokens.c.customer_id == customer_id
    )
    with engine_of(current_app).connect() as conn:
        row = conn.execute(query).one_or_none()
    if row is None:
        abort(404)
    return jsonify(access_token=row.access_token, expires_at=row.expires_at)
