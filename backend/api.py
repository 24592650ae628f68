"""Helpers shared by the partner API blueprints: API-key check, body parsing, JSON answers."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from backend import extensions
from backend.errors import InvalidApiKey, InvalidRequest, MissingApiKey
from backend.security import matches_any

M = TypeVar("M", bound=BaseModel)

# Control characters have no place in any field we accept (tab, CR and LF aside, for free text).
# PostgreSQL refuses NUL outright; the others end up in logs, pages and Wise requests.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def read_body(*, cache: bool = False) -> bytes:
    """The request body; a body the server cannot read (a broken chunked encoding, a client that
    hung up mid-body) is the client's error, a 400, never a 500."""
    try:
        return request.get_data(cache=cache) or b""
    except HTTPException:
        raise  # 413 and friends keep their meaning
    except Exception:
        # The server's body reader refused it (gunicorn raises its own parse errors here).
        raise InvalidRequest("The request body could not be read.", field="body") from None


def parse_body(model: type[M]) -> M:
    """Validate the JSON body strictly; the error names the first offending field."""
    if request.mimetype != "application/json":
        raise InvalidRequest("Content-Type must be application/json.", field="Content-Type")
    raw = read_body()
    _refuse_control_characters(raw)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise _validation_error(exc) from None


def parse_query(model: type[M]) -> M:
    """Validate the query string (one value per name); the error names the parameter."""
    values = request.args.to_dict()
    _refuse_control_characters(json.dumps(values).encode())
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _validation_error(exc) from None


def _refuse_control_characters(raw: bytes) -> None:
    """Name the first string (key or value) holding a control character; bad JSON passes on."""
    try:
        document = json.loads(raw)
    except RecursionError:
        # `[[[[...` small enough to pass the size limit still exhausts Python's stack.
        raise InvalidRequest("the body nests too deeply", field="body") from None
    except ValueError:
        return  # the model's own parser reports malformed JSON with its usual message
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if CONTROL_CHARS.search(str(key)):
                    raise InvalidRequest(
                        f"{path or 'body'}: a field name holds a control character",
                        field=path or "body",
                    )
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
        elif isinstance(value, str) and CONTROL_CHARS.search(value):
            raise InvalidRequest(f"{path}: control characters are not allowed", field=path)


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
