"""Wise's two error shapes, raised from anywhere and rendered by one handler.

OAuth style: ``{"error": "...", "error_description": "..."}``.
Validation style: ``{"errors": [{"code", "message", "path", "arguments"}]}``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An error response in one of Wise's shapes."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body

    def response(self) -> Response:
        """Render the error as a JSON response."""
        response = jsonify(self.body)
        response.status_code = self.status
        return response


def oauth_error(status: int, error: str, description: str) -> ApiError:
    """Build an OAuth-style error."""
    return ApiError(status, {"error": error, "error_description": description})


def validation_error(
    status: int, code: str, message: str, path: str, arguments: list[Any] | None = None
) -> ApiError:
    """Build a validation-style error with a single entry."""
    return ApiError(
        status,
        {
            "errors": [
                {"code": code, "message": message, "path": path, "arguments": arguments or []}
            ]
        },
    )


def not_null(path: str) -> ApiError:
    """Build Wise's 400 for a missing required field."""
    return validation_error(400, "NotNull", "must not be null", path)


def unauthenticated() -> ApiError:
    """Build the 401 for a call without a bearer token."""
    return oauth_error(
        401, "unauthorized", "Full authentication is required to access this resource"
    )


def invalid_token(token: str) -> ApiError:
    """Build the 401 for an unknown, expired or revoked token; Wise echoes the token."""
    return oauth_error(401, "invalid_token", token)


def forbidden(description: str) -> ApiError:
    """Build a 403 for a token that may not do this."""
    return oauth_error(403, "forbidden", description)


def profile_not_found(profile_id: int) -> ApiError:
    """Build the 404 for an unknown profile id."""
    return validation_error(404, "NOT_FOUND", "Profile not found", "profileId", [profile_id])


def register_error_handlers(app: Flask) -> None:
    """Render ApiError and HTTP errors as JSON (the UI pages render their own error page)."""

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> Response:
        """Render an ApiError."""
        return error.response()

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        """Render 404, 405 and the like in the OAuth shape."""
        name = (error.name or "error").lower().replace(" ", "_")
        status = error.code or 500
        return oauth_error(status, name, error.description or name).response()
