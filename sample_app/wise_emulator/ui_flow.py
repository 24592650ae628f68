"""Plumbing shared by the authorize pages: the browser's flow, error pages, checks, redirects."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, render_template, session

from .models import Flow
from .state import emulator

FLOW_SECONDS = 30 * 60
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class UiError(Exception):
    """A problem shown to the person on a Wise page; nothing is sent back to the partner."""

    def __init__(self, title: str, message: str, status: int = 400) -> None:
        super().__init__(title)
        self.title = title
        self.message = message
        self.status = status


def page(template: str, title: str, **context: Any) -> str:
    """Render an authorize page; every page takes a title and an optional error line."""
    context.setdefault("error", None)
    return render_template(template, title=title, **context)


def register_ui_error_handler(app: Flask) -> None:
    """Render UiError as the emulator's error page."""

    @app.errorhandler(UiError)
    def handle_ui_error(error: UiError) -> tuple[str, int]:
        """Show the error page with the error's status."""
        return page("error.html", error.title, message=error.message), error.status


def start_flow(
    *,
    client_id: str,
    redirect_uri: str,
    state: str | None,
    show_code: bool,
    claim_user_id: int | None,
) -> Flow:
    """Start a flow and bind it to this browser through the emulator's session cookie."""
    store = emulator().store
    with store.lock:
        flow = Flow(
            id=secrets.token_urlsafe(24),
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            show_code=show_code,
            expires_at=store.now() + timedelta(seconds=FLOW_SECONDS),
            claim_user_id=claim_user_id,
        )
        store.flows[flow.id] = flow
    session.clear()
    session["flow_id"] = flow.id
    return flow


def current_flow() -> Flow:
    """Return this browser's live flow, or show an error page."""
    flow_id = session.get("flow_id")
    store = emulator().store
    with store.lock:
        flow = store.flows.get(flow_id) if isinstance(flow_id, str) else None
        if flow is not None and flow.expires_at <= store.now():
            del store.flows[flow.id]
            flow = None
    if flow is None:
        raise UiError(
            "Session ended",
            "This sign-in has ended or was never started. "
            "Go back to the application and try again.",
        )
    return flow


def end_flow(flow: Flow) -> None:
    """Forget a finished flow."""
    store = emulator().store
    with store.lock:
        store.flows.pop(flow.id, None)
    session.pop("flow_id", None)


def client_name(flow: Flow) -> str:
    """Return the display name of the flow's API client."""
    return emulator().store.clients[flow.client_id].name


def with_query(url: str, params: dict[str, str]) -> str:
    """Append parameters to a URL, keeping the query it already has (Wise keeps it too)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def valid_email(value: str) -> bool:
    """Tell whether ``value`` looks like an email address."""
    return bool(EMAIL_PATTERN.match(value.strip()))


def past_date(value: str) -> str | None:
    """Return ``value`` when it is a YYYY-MM-DD date in the past, else None."""
    value = value.strip()
    if not DATE_PATTERN.match(value):
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    today = emulator().store.now().date()
    return value if parsed < today else None
