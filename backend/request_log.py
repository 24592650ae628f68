"""The request log and the request id: one line per request, by route, never a query string."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, Response, g, request

from backend.logs import REQUEST_ID, SESSION_ID, valid_request_id

request_logger = logging.getLogger("backend.request")
HEADER = "X-Request-Id"


def register_request_log(app: Flask) -> None:
    """Give each request an id (echoed in ``X-Request-Id``) and log method, route, status, time.

    The route rule (``/onboarding/launch/<token>``) is logged instead of the path because paths
    carry launch tokens, and query strings carry OAuth codes and state.
    """

    @app.before_request
    def start() -> None:
        g.request_started = time.perf_counter()
        # A caller's id is kept when it is safe to log; otherwise one is made for this request.
        g.request_id = valid_request_id(request.headers.get(HEADER)) or uuid.uuid4().hex
        g.log_tokens = (REQUEST_ID.set(g.request_id), SESSION_ID.set(None))

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started", time.perf_counter())
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        duration = (time.perf_counter() - started) * 1000
        request_logger.info(
            "%s %s %s %.1fms",
            request.method,
            rule,
            response.status_code,
            duration,
            extra={
                "method": request.method,
                "route": rule,
                "status": response.status_code,
                "duration_ms": round(duration, 1),
            },
        )
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        # Threads serve many requests: the ids must not leak into the next one's log lines.
        tokens = g.pop("log_tokens", None)
        if tokens is not None:
            REQUEST_ID.reset(tokens[0])
            SESSION_ID.reset(tokens[1])
