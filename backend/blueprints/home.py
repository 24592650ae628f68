"""The kit's home page: what this service is, for anyone who opens its address."""

from __future__ import annotations

from flask import Blueprint, render_template

from backend import extensions

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Say what this service is and where its API lives; outside production, where the demo starts.

    The page is the same for every production kit: it shows no setting, not even the return
    URLs, and needs no database.
    """
    return render_template("home.html", demo=not extensions.settings().is_production)
