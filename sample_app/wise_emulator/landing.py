"""The landing page at ``/`` and ``/__emulator/``: what this server is and where to start.

Wise's own ``/`` is its website; the emulator answers a short page instead, so a person who opens
the URL that ``onboarding-kit demo`` prints sees what it is rather than a JSON 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, current_app

from .config import DEMO_PASSWORD, DEMO_USERS, TWO_FACTOR_CODE
from .state import emulator
from .ui_flow import page

bp = Blueprint("wise_landing", __name__)

# The blueprints that make up the test-only control API under /__emulator/, and its index page.
CONTROL_BLUEPRINTS = ("wise_control", "wise_control_events")
CONTROL_INDEX = "wise_control.index"
CONVERTER = re.compile(r"<[^:<>]+:")


@dataclass(frozen=True)
class ControlRoute:
    """One control API route as the landing page lists it."""

    methods: str
    path: str
    summary: str


@bp.get("/")
def landing() -> str:
    """Say what this server is, how to reach the partner app, and what it serves."""
    return render_landing()


def render_landing() -> str:
    """Render the landing page for this emulator's configuration."""
    state = emulator()
    with state.store.lock:
        clients = list(state.store.clients.values())
    return page(
        "landing.html",
        "Wise sandbox emulator",
        partner_app_url=state.config.partner_app_url,
        partner_name=clients[0].name if clients else "the partner app",
        demo_users=DEMO_USERS if state.config.seed_demo_users else (),
        demo_password=DEMO_PASSWORD,
        two_factor_code=TWO_FACTOR_CODE,
        control_routes=control_routes(),
    )


def control_routes() -> list[ControlRoute]:
    """The control API's routes with the first line of each view's docstring, by path."""
    routes = []
    for rule in current_app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in CONTROL_BLUEPRINTS or rule.endpoint == CONTROL_INDEX:
            continue
        view = current_app.view_functions[rule.endpoint]
        summary = (view.__doc__ or "").strip().split("\n")[0].replace("``", "")
        methods = " ".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        routes.append(ControlRoute(methods, CONVERTER.sub("<", rule.rule), summary))
    return sorted(routes, key=lambda r: (r.path, r.methods))
