"""The partner API's contract: the OpenAPI document, and a reference page that renders it.

The page is Swagger UI from the ``flask-swagger-ui`` package, served by the kit itself (no CDN).
Its assets live under ``/static/`` so browsers may cache them; the page keeps a CSP without
inline script: Swagger UI starts from ``api-docs.js``, a file of ours.
"""

from __future__ import annotations

import json
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, current_app, render_template

from backend import extensions
from backend.openapi import build_document

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
DOCUMENT = "onboarding.openapi"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)

bp = Blueprint(
    "api_docs",
    __name__,
    static_folder=str(SWAGGER_UI_DIST),
    static_url_path="/static/swagger-ui",
)


@bp.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    """Serve the OpenAPI document (public: the contract holds no secret)."""
    document = current_app.extensions.get(DOCUMENT)
    if document is None:
        built = build_document(current_app, server_url=extensions.settings().public_base_url)
        document = current_app.extensions.setdefault(DOCUMENT, json.dumps(built, indent=2) + "\n")
    return Response(document, mimetype="application/json")


@bp.get("/api/v1/docs")
def reference_page() -> Response:
    """Serve the API reference page, rendered in the browser from the document."""
    response = Response(render_template("api_docs.html"), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
