"""Logging setup and the request log, which records routes, never query strings or path secrets."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

request_logger = logging.getLogger("backend.request")


def configure_logging(level: str) -> None:
    """Give the ``backend`` loggers a level, and a handler when the host process set none."""
    logging.getLogger("backend").setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")


def register_request_log(app: Flask) -> None:
    """Log one line per request: method, route rule, status and duration.

    The route rule (``/onboarding/launch/<token>``) is logged instead of the path because paths
    carry launch tokens, and query strings carry OAuth codes and state.
    """

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started", time.perf_counter())
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        request_logger.info(
            "%s %s %s %.1fms",
            request.method,
            rule,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response
