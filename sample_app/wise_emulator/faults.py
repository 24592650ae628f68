"""Injected faults: make chosen requests fail or slow down, a fixed number of times."""

from __future__ import annotations

import time
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import Any

from flask import Response, g, jsonify, request

from .models import Fault
from .store import Store

HOLD_LIMIT_SECONDS = 30.0


def add_fault(
    store: Store,
    *,
    method: str,
    path: str,
    status: int | None = 503,
    count: int | None = 1,
    delay_seconds: float = 0.0,
    grant_type: str | None = None,
    body: dict[str, Any] | None = None,
    hold: bool = False,
    lose_answer: bool = False,
) -> Fault:
    """Register a fault; ``count`` None keeps it until cleared, ``status`` None only delays."""
    if count is not None and count < 1:
        raise ValueError("count must be at least 1, or null for no limit")
    if status is not None and not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code")
    if delay_seconds < 0:
        raise ValueError("delay_seconds must not be negative")
    if lose_answer and status is None:
        raise ValueError("lose_answer needs the status that replaces the answer")
    fault = Fault(
        id=store.small_id(),
        method=method.upper(),
        path=path,
        status=status,
        remaining=count,
        delay_seconds=delay_seconds,
        grant_type=grant_type,
        body=body,
        hold=hold,
        lose_answer=lose_answer,
    )
    with store.lock:
        store.faults.append(fault)
        if hold:
            store.held[fault.id] = fault
    return fault


def release_faults(store: Store, fault_id: int | None = None) -> int:
    """Let requests parked by hold faults go on (one fault, or all); return how many faults."""
    with store.lock:
        chosen = [f for f in store.held.values() if fault_id in (None, f.id)]
        for fault in chosen:
            fault.released.set()
            store.held.pop(fault.id, None)
    return len(chosen)


def fault_json(fault: Fault) -> dict[str, Any]:
    """Return a fault as the control API shows it."""
    return {
        "id": fault.id,
        "method": fault.method,
        "path": fault.path,
        "status": fault.status,
        "remaining": fault.remaining,
        "delay_seconds": fault.delay_seconds,
        "grant_type": fault.grant_type,
        "body": fault.body,
        "hold": fault.hold,
        "lose_answer": fault.lose_answer,
        "waiting": fault.waiting,
    }


def _matches(fault: Fault) -> bool:
    if fault.method not in ("*", request.method):
        return False
    if fault.path != request.path and not fnmatchcase(request.path, fault.path):
        return False
    if fault.grant_type is not None:
        grant = request.form.get("grant_type") if request.path == "/oauth/token" else None
        return grant == fault.grant_type
    return True


def take_fault(store: Store) -> Fault | None:
    """Find the first fault matching this request and use up one of its counts."""
    with store.lock:
        for fault in store.faults:
            if not _matches(fault):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    store.faults.remove(fault)
            return fault
    return None


def apply_fault(store: Store) -> Response | None:
    """Delay and/or answer this request as a matching fault says; None lets it through."""
    fault = take_fault(store)
    if fault is None:
        return None
    if fault.hold:
        with store.lock:
            fault.waiting += 1
        # Bounded, so a test that forgets to release cannot hang a server thread for ever.
        fault.released.wait(HOLD_LIMIT_SECONDS)
        with store.lock:
            fault.waiting -= 1
    if fault.delay_seconds:
        # Sleeping outside the lock: a slow request must not hold up the others.
        time.sleep(fault.delay_seconds)
    if fault.status is None:
        return None
    if fault.lose_answer:
        g.lost_answer = fault  # carried out now; ``lost_answer`` replaces the answer afterwards
        return None
    return fault_response(fault)


def lost_answer() -> Response | None:
    """The answer that replaces this request's own, when a ``lose_answer`` fault matched it."""
    fault: Fault | None = g.pop("lost_answer", None)
    return None if fault is None else fault_response(fault)


def fault_response(fault: Fault) -> Response:
    """The answer a fault gives instead of the real one."""
    assert fault.status is not None
    body = fault.body
    if body is None:
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        body = {
            "error": phrase.lower().replace(" ", "_"),
            "error_description": "Emulated failure",
        }
    response = jsonify(body)
    response.status_code = fault.status
    if 300 <= fault.status < 400:
        # Point back at the same URL: a client that follows redirects repeats the request (and,
        # once the fault is used up, succeeds), which is what a test needs to catch.
        response.headers["Location"] = request.url
    return response
