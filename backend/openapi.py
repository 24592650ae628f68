"""The OpenAPI 3.1 contract of the partner API and of Wise's webhook, built from the routes.

Each route states its contract beside its code, under the route decorator::

    @bp.get("/<session_id>")
    @contract(tag=SESSIONS, replies={200: OnboardingSessionPublic}, errors=(NotFound,))
    def read_session(session_id: str) -> Response: ...

naming the model it parses, the model of each success answer and the errors it raises.
``build_document`` walks ``app.url_map`` and turns those statements, the error classes of
``backend.errors`` and the models' own JSON schemas into the document. Nothing is written twice,
so the document cannot drift from what the code validates and returns; a test fails when a route
has no contract.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, TypeVar

from flask import Flask
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from backend.errors import (
    ErrorBody,
    InvalidApiKey,
    InvalidRequest,
    MissingApiKey,
    NotFound,
    OnboardingError,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
)

F = TypeVar("F", bound=Callable[..., Any])
Security = Literal["api_key", "none"]

ATTRIBUTE = "openapi_contract"
REF_TEMPLATE = "#/components/schemas/{model}"
API_KEY_SCHEME = "partnerApiKey"
# Werkzeug's path converters as JSON Schema: the default one takes one segment, `int` digits.
CONVERTER_RE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "default": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    "int": {"type": "integer", "minimum": 0},
}
RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
WWW_AUTHENTICATE = {
    "description": "The Bearer challenge (RFC 6750).",
    "required": True,
    "schema": {"type": "string"},
}
# Headers every answer of a status carries; the error handler and the rate limiter set them.
ERROR_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}
DESCRIPTION = """\
The partner API of the Wise KYC onboarding kit, and the webhook Wise calls.

Every partner API request carries `Authorization: Bearer <key>` with a key from
`ONBOARDING_API_KEYS`. Every error is JSON `{"error", "error_description"}`, plus `field` when
one field is at fault; each response below lists the `error` codes it can carry. Answers are
never cached (`Cache-Control: no-store`). `429` and `503` carry `Retry-After`: retry then.
"""


@dataclass(frozen=True)
class Param:
    """A header, path or query parameter; its JSON schema comes from ``type_`` (via pydantic)."""

    name: str
    type_: Any = str
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Reply:
    """One success answer: its body model (None: no body) and the headers it carries."""

    model: type[BaseModel] | None = None
    description: str = ""
    headers: tuple[Param, ...] = ()


@dataclass(frozen=True)
class Contract:
    """What one route accepts and answers; ``contract()`` attaches it to the view."""

    tag: str
    replies: Mapping[int, Reply]
    errors: tuple[type[OnboardingError], ...]
    security: Security = "api_key"
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    path: Mapping[str, Any] = field(default_factory=dict)
    headers: tuple[Param, ...] = ()
    rate_limited: bool = True
    operation_id: str | None = None


def contract(
    *,
    tag: str,
    replies: Mapping[int, type[BaseModel] | Reply | None],
    errors: tuple[type[OnboardingError], ...] = (),
    security: Security = "api_key",
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    path: Mapping[str, Any] | None = None,
    headers: tuple[Param, ...] = (),
    rate_limited: bool = True,
    operation_id: str | None = None,
) -> Callable[[F], F]:
    """Declare a route's contract; put it under the route decorator.

    ``errors`` lists what the route itself raises. The document adds what every route of its
    kind answers: 503 ``service_unavailable``; 429 ``rate_limited`` unless ``rate_limited`` is
    False; 401 without or with an unknown API key (``security="api_key"``); 400 when it takes a
    body, query or path parameter; 413 with a body; 404 when the path has parameters.
    """
    declared = Contract(
        tag=tag,
        replies={status: _reply(value) for status, value in replies.items()},
        errors=tuple(errors),
        security=security,
        body=body,
        body_required=body_required,
        query=query,
        path=dict(path or {}),
        headers=tuple(headers),
        rate_limited=rate_limited,
        operation_id=operation_id,
    )

    def attach(view: F) -> F:
        setattr(view, ATTRIBUTE, declared)
        return view

    return attach


def contract_of(view: Callable[..., Any]) -> Contract | None:
    """The contract a view declared, if any."""
    declared = getattr(view, ATTRIBUTE, None)
    return declared if isinstance(declared, Contract) else None


def build_document(app: Flask, *, server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route of ``app`` that declares a contract."""
    routes: list[tuple[str, list[str], Callable[..., Any], Contract]] = []
    # In registration order: blueprints are registered in the order the README tells the story.
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        declared = contract_of(view)
        if declared is not None:
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            routes.append((rule.rule, methods, view, declared))
    schemas = _Schemas([declared for *_, declared in routes])
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    tags: list[str] = []
    for template, methods, view, declared in routes:
        path, path_params = _openapi_path(template, declared)
        for method in methods:
            operation = _operation(view, declared, path_params, schemas)
            if operation["operationId"] in operation_ids:
                raise ValueError(f"two routes share the operationId {operation['operationId']!r}")
            operation_ids.add(operation["operationId"])
            paths.setdefault(path, {})[method.lower()] = operation
        if declared.tag not in tags:
            tags.append(declared.tag)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Wise KYC onboarding kit",
            "version": _package_version(),
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                API_KEY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A partner API key from ONBOARDING_API_KEYS.",
                }
            },
        },
        "security": [{API_KEY_SCHEME: []}],
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return _markdown(document)


def _markdown(node: Any) -> Any:
    """Docstrings quote code reST-style, in double backticks; OpenAPI's Markdown uses one."""
    if isinstance(node, dict):
        return {
            key: value.replace("``", "`")
            if key in ("description", "summary") and isinstance(value, str)
            else _markdown(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_markdown(item) for item in node]
    return node


def _reply(value: type[BaseModel] | Reply | None) -> Reply:
    return value if isinstance(value, Reply) else Reply(model=value)


class _Schemas:
    """Every model the contracts name, as ``components.schemas``, and references to them."""

    def __init__(self, contracts: list[Contract]) -> None:
        wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
            (ErrorBody, "serialization"): None
        }
        for declared in contracts:
            if declared.body is not None:
                wanted[(declared.body, "validation")] = None
            for reply in declared.replies.values():
                if reply.model is not None:
                    wanted[(reply.model, "serialization")] = None
        # One call, so a model used in requests and responses gets one name per distinct shape.
        refs, top = models_json_schema(list(wanted), ref_template=REF_TEMPLATE)
        self.refs: dict[Any, dict[str, Any]] = dict(refs)
        self.components: dict[str, Any] = dict(sorted(top.get("$defs", {}).items()))

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return self.refs[(model, mode)]

    def of_type(self, type_: Any) -> dict[str, Any]:
        """The schema of a parameter's type; its own definitions join the components."""
        schema = TypeAdapter(type_).json_schema(ref_template=REF_TEMPLATE)
        self.components.update(schema.pop("$defs", {}))
        schema.pop("title", None)
        return schema

    def query_params(self, model: type[BaseModel]) -> list[dict[str, Any]]:
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        self.components.update(schema.pop("$defs", {}))
        required = set(schema.get("required", ()))
        params = []
        for name, prop in schema["properties"].items():
            prop = dict(prop)
            prop.pop("title", None)
            description = prop.pop("description", "")
            param: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop,
            }
            if description:
                param["description"] = description
            params.append(param)
        return params


def _openapi_path(rule: str, declared: Contract) -> tuple[str, list[tuple[str, Any]]]:
    """``/x/<int:id>`` as ``/x/{id}``, with each parameter's schema source."""
    params: list[tuple[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        name, converter = match["name"], match["converter"] or "default"
        params.append((name, declared.path.get(name, CONVERTER_SCHEMAS.get(converter, {}))))
        return "{" + name + "}"

    return CONVERTER_RE.sub(replace, rule), params


def _operation(
    view: Callable[..., Any],
    declared: Contract,
    path_params: list[tuple[str, Any]],
    schemas: _Schemas,
) -> dict[str, Any]:
    doc = inspect.getdoc(view) or view.__name__
    summary, _, rest = doc.partition("\n")
    operation: dict[str, Any] = {
        "tags": [declared.tag],
        "summary": summary.strip(),
        "operationId": declared.operation_id or _camel(view.__name__),
    }
    if rest.strip():
        operation["description"] = rest.strip()
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": source if isinstance(source, dict) else schemas.of_type(source),
        }
        for name, source in path_params
    ]
    if declared.query is not None:
        parameters += schemas.query_params(declared.query)
    parameters += [_header_param(param, schemas) for param in declared.headers]
    if parameters:
        operation["parameters"] = parameters
    if declared.body is not None:
        operation["requestBody"] = {
            "required": declared.body_required,
            "content": {"application/json": {"schema": schemas.ref(declared.body, "validation")}},
        }
    if declared.security == "none":
        operation["security"] = []
    responses: dict[str, Any] = {}
    for status, reply in sorted(declared.replies.items()):
        responses[str(status)] = _success(reply, schemas)
    for status, errors in sorted(_errors_by_status(declared, bool(path_params)).items()):
        responses[str(status)] = _error_response(status, errors, declared, schemas)
    operation["responses"] = responses
    return operation


def _header_param(param: Param, schemas: _Schemas) -> dict[str, Any]:
    header: dict[str, Any] = {
        "name": param.name,
        "in": "header",
        "required": param.required,
        "schema": schemas.of_type(param.type_),
    }
    if param.description:
        header["description"] = param.description
    return header


def _success(reply: Reply, schemas: _Schemas) -> dict[str, Any]:
    model_doc = inspect.getdoc(reply.model) if reply.model is not None else None
    description = reply.description or (model_doc or "No content.").partition("\n")[0]
    response: dict[str, Any] = {"description": description}
    if reply.model is not None:
        schema = schemas.ref(reply.model, "serialization")
        response["content"] = {"application/json": {"schema": schema}}
    if reply.headers:
        response["headers"] = {
            param.name: {
                "description": param.description,
                "required": param.required,
                "schema": schemas.of_type(param.type_),
            }
            for param in reply.headers
        }
    return response


def _errors_by_status(
    declared: Contract, has_path_params: bool
) -> dict[int, list[type[OnboardingError]]]:
    implied: list[type[OnboardingError]] = [ServiceUnavailable]
    if declared.rate_limited:
        implied.append(RateLimited)
    if declared.security == "api_key":
        implied += [MissingApiKey, InvalidApiKey]
    if declared.body is not None or declared.query is not None or has_path_params:
        implied.append(InvalidRequest)
    if declared.body is not None:
        implied.append(PayloadTooLarge)
    if has_path_params:
        implied.append(NotFound)  # a segment no route matches, such as an encoded "/"
    grouped: dict[int, dict[str, type[OnboardingError]]] = {}
    for error in (*declared.errors, *implied):
        # The first class named for a code describes it: the route's own, then the general one.
        grouped.setdefault(error.status, {}).setdefault(error.error, error)
    return {status: list(by_code.values()) for status, by_code in grouped.items()}


def _error_response(
    status: int,
    errors: list[type[OnboardingError]],
    declared: Contract,
    schemas: _Schemas,
) -> dict[str, Any]:
    codes = sorted(error.error for error in errors)
    lines = [f"`{error.error}`: {error.description}" for error in errors]
    response: dict[str, Any] = {
        "description": "\n\n".join(lines),
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [schemas.ref(ErrorBody, "serialization")],
                    "properties": {"error": {"enum": codes}},
                }
            }
        },
    }
    headers = dict(ERROR_HEADERS.get(status, {}))
    if status == 401 and declared.security == "api_key":
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    if headers:
        response["headers"] = headers
    return response


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _package_version() -> str:
    try:
        return version("wise-onboarding-kit")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
