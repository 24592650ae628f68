"""Helpers shared by the partner API blueprints: API-key check, body parsing, JSON answers."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError

from backend import extensions
from backend.errors import InvalidApiKey, InvalidRequest, MissingApiKey
from backend.security import matches_any

M = TypeVar("M", bound=BaseModel)


def require_api_key() -> None:
    """``before_request`` hook: the caller must present one of ``ONBOARDING_API_KEYS``."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise MissingApiKey(headers={"WWW-Authenticate": 'Bearer realm="onboarding"'})
    if not matches_any(key.strip(), extensions.settings().api_keys):
        raise InvalidApiKey(headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def presented_api_key() -> str:
    """The partner API key of this request (already checked by ``require_api_key``)."""
    return request.headers.get("Authorization", "").partition(" ")[2].strip()


def parse_body(model: type[M]) -> M:
    """Validate the JSON body strictly; the error names the first offending field."""
    if request.mimetype != "application/json":
        raise InvalidRequest("Content-Type must be application/json.", field="Content-Type")
    try:
        return model.model_validate_json(request.get_data(cache=False) or b"")
    except ValidationError as exc:
        raise _validation_error(exc) from None


def _validation_error(exc: ValidationError) -> InvalidRequest:
    problems = []
    first_field = None
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "body"
        first_field = first_field or location
        problems.append(f"{location}: {_message(error)}")
    return InvalidRequest("; ".join(problems[:5]), field=first_field)


def _message(error: Any) -> str:
    kind = error.get("type")
    if kind == "json_invalid":
        return "the body is not valid JSON"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a JSON object"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def json_response(body: BaseModel | dict[str, Any], status: int = 200) -> Response:
    """Serialize a response model (ISO datetimes) or a plain dict."""
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    response = jsonify(payload)
    response.status_code = status
    return response
