"""``onboarding-kit openapi``: write the partner API's OpenAPI document (to generate clients)."""

from __future__ import annotations

import json
from typing import IO

import click
from flask import Flask

from backend.openapi import build_document


@click.command("openapi")
@click.option(
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help="Write the document to this file ('-': standard output).",
)
@click.option("--server-url", help="Name this base URL in the document's servers, e.g. your kit's.")
def openapi(output: IO[str], server_url: str | None) -> None:
    """Write the OpenAPI 3.1 document of the partner API and the Wise webhook (JSON)."""
    # The document comes from the routes alone, so no settings or database are needed here.
    from backend.app import register_blueprints

    app = Flask("backend")
    register_blueprints(app)
    output.write(json.dumps(build_document(app, server_url=server_url), indent=2) + "\n")
