"""Request-body helpers for the API: JSON objects, lists and X-idempotence-uuid replays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

from .errors import validation_error
from .state import emulator

IDEMPOTENCE_HEADER = "X-idempotence-uuid"


def json_body() -> Any:
    """Return the parsed JSON body, or Wise's 400 when it is not JSON."""
    data = request.get_json(silent=True)
    if data is None:
        raise validation_error(400, "INVALID_JSON", "Request body is not valid JSON", "body")
    return data


def json_object() -> dict[str, Any]:
    """Return the JSON body, which must be an object."""
    data = json_body()
    if not isinstance(data, dict):
        raise validation_error(400, "INVALID_JSON", "Request body must be an object", "body")
    return data


def json_list() -> list[dict[str, Any]]:
    """Return the JSON body, which must be a list of objects."""
    data = json_body()
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise validation_error(400, "INVALID_JSON", "Request body must be a list", "body")
    return data


def idempotent(user_id: int, create: Callable[[], tuple[int, Any]]) -> Response:
    """Run ``create`` once per X-idempotence-uuid: a repeat returns the first answer unchanged.

    Only successful answers are remembered, so a call that failed validation can be retried with
    the same uuid. Everything runs under the store lock, so concurrent repeats cannot both create.
    """
    key = request.headers.get(IDEMPOTENCE_HEADER)
    store = emulator().store
    with store.lock:
        remembered = store.idempotent_responses.get((user_id, request.path, key)) if key else None
        if remembered is not None:
            status, body = remembered
        else:
            status, body = create()
            if key:
                store.idempotent_responses[(user_id, request.path, key)] = (status, body)
    response = jsonify(body)
    response.status_code = status
    return response
