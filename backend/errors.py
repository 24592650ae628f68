"""The error vocabulary: every expected failure carries a machine code, a description and a status.

One handler renders them: JSON ``{"error", "error_description"}`` for the partner API and webhooks,
a friendly page for the browser legs. Nothing here includes a secret in its text.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/webhooks/", "/metrics")


class ErrorBody(BaseModel):
    """Every JSON error answer: a machine code, a human description, and the field at fault."""

    error: str
    error_description: str
    field: str | None = None


class OnboardingError(Exception):
    """Base of every expected failure."""

    status = 400
    error = "invalid_request"
    description = "The request is invalid."
    title = "Something went wrong"

    def __init__(
        self,
        description: str | None = None,
        *,
        field: str | None = None,
        return_link: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description or self.description)
        self.description = description or self.description
        self.field = field
        # Where the friendly page may send the customer back to (already allowlisted).
        self.return_link = return_link
        self.headers = headers or {}

    def to_json(self) -> dict[str, Any]:
        """Return the JSON body for API clients (``field`` only when one field is at fault)."""
        body = ErrorBody(error=self.error, error_description=self.description, field=self.field)
        return body.model_dump(exclude_none=True)


class InvalidRequest(OnboardingError):
    """The body or parameters are malformed; ``field`` names the culprit."""


class InvalidReturnUrl(OnboardingError):
    error = "invalid_return_url"
    description = "return_url is not in the configured allowlist (ONBOARDING_RETURN_URLS)."


class MissingApiKey(OnboardingError):
    status = 401
    error = "missing_api_key"
    description = "Send the partner API key as 'Authorization: Bearer <key>'."


class InvalidApiKey(OnboardingError):
    status = 401
    error = "invalid_api_key"
    description = "The API key is not valid."


class NotFound(OnboardingError):
    status = 404
    error = "not_found"
    description = "No such resource."
    title = "Page not found"


class MethodNotAllowed(OnboardingError):
    status = 405
    error = "method_not_allowed"
    description = "This method is not allowed here."


class PayloadTooLarge(OnboardingError):
    status = 413
    error = "payload_too_large"
    description = "The request body is too large."


class UnsupportedMediaType(OnboardingError):
    status = 415
    error = "unsupported_media_type"
    description = "Unsupported content type."


class LaunchLinkUnavailable(OnboardingError):
    """A launch link that was used, expired or never existed.

    ``refresh_link`` is the partner's refresh URL (allowlisted) for a session that asked for one:
    the browser is sent there instead of seeing this page.
    """

    status = 410
    error = "launch_link_unavailable"
    description = "This link has expired or has already been used."
    title = "This link is no longer valid"

    def __init__(
        self,
        description: str | None = None,
        *,
        return_link: str | None = None,
        refresh_link: str | None = None,
    ) -> None:
        super().__init__(description, return_link=return_link)
        self.refresh_link = refresh_link


class CallbackRejected(OnboardingError):
    """The OAuth return could not be tied to a launch from this browser."""

    status = 400
    error = "invalid_callback"
    title = "We could not finish connecting your Wise account"


class Conflict(OnboardingError):
    status = 409
    error = "conflict"
    description = "The request conflicted with a concurrent change; read the resource and retry."


class KycReviewNotWaiting(Conflict):
    """A launch into Wise's KYC page for a review that does not wait for the customer."""

    error = "kyc_review_not_waiting"
    description = "This KYC review does not wait for the customer."


class ServiceUnavailable(OnboardingError):
    status = 503
    error = "service_unavailable"
    description = "The service is temporarily unavailable. Please try again."
    title = "Please try again in a moment"


class WiseUnavailableAtLaunch(ServiceUnavailable):
    """Preparing a prefilled Wise account ran out of time; the launch link still works."""

    error = "wise_unavailable"
    description = (
        "Wise is not responding right now, so we could not prepare your Wise account. "
        "Your link still works: please try again in a moment."
    )


class LaunchInProgress(ServiceUnavailable):
    """Another request of the same launch link is preparing the Wise account right now."""

    error = "launch_in_progress"
    description = (
        "We are already preparing your Wise account from this link, perhaps in another tab. "
        "Please try again in a few seconds."
    )
    title = "Almost ready"


class RateLimited(OnboardingError):
    """Over a rate limit (backend.rate_limits); ``Retry-After`` says when to try again."""

    status = 429
    error = "rate_limited"
    description = "Too many requests. Try again after the number of seconds in Retry-After."
    title = "Please wait a moment"


class KycWiseUnavailable(ServiceUnavailable):
    """Wise did not answer while the kit asked for its KYC page; the launch link still works."""

    error = "wise_unavailable"
    description = (
        "Wise is not responding right now, so we could not open its page. Your link still "
        "works: please try again in a moment."
    )


class InvalidIdempotencyKey(InvalidRequest):
    error = "invalid_idempotency_key"
    description = "Idempotency-Key must be 1 to 255 visible ASCII characters, without spaces."


class IdempotencyKeyReused(OnboardingError):
    status = 422
    error = "idempotency_key_reused"
    description = (
        "This Idempotency-Key was already used with a different request body. "
        "Use a new key for a new request."
    )


# -- link lifecycle ----------------------------------------------------------------------------


class NotLinked(OnboardingError):
    """The customer has no Wise link (never linked, or unlinked): there is no token to give."""

    status = 404
    error = "not_linked"
    description = "This customer has no linked Wise account."


class ReauthorizationRequired(OnboardingError):
    """Wise revoked the link's tokens; the customer must go through the linking flow again."""

    status = 409
    error = "reauthorization_required"
    description = (
        "Wise no longer accepts this customer's authorization. Create a new onboarding session "
        "so the customer can reconnect their Wise account."
    )


class WiseTemporarilyUnavailable(ServiceUnavailable):
    """Wise failed transiently (5xx, 429, timeout): nothing was changed; retry later."""

    error = "wise_unavailable"
    description = "Wise is temporarily unavailable. Retry after the time in Retry-After."

    def __init__(self, description: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(description, headers={"Retry-After": str(max(1, retry_after))})


class StoredTokenUnreadable(OnboardingError):
    """A stored token was encrypted with a key that is no longer configured (a setup error)."""

    status = 500
    error = "token_key_missing"
    description = (
        "Stored Wise tokens were encrypted with a key that is no longer configured. Put the old "
        "key back in ONBOARDING_TOKEN_ENCRYPTION_KEYS (after the new one) and run "
        "'onboarding-kit rotate-keys' before removing it."
    )


class WiseRefused(OnboardingError):
    """Wise refused a call for a reason that is neither transient nor a revocation."""

    status = 502
    error = "wise_error"
    description = "Wise refused the request."


class SandboxOnly(OnboardingError):
    """A sandbox simulation asked of a kit configured for production, where Wise has none."""

    status = 403
    error = "sandbox_only"
    description = (
        "Verification can only be simulated in Wise's sandbox; this kit is configured for "
        "production (ONBOARDING_ENV or ONBOARDING_WISE_ENVIRONMENT)."
    )


class InvalidWebhookSignature(OnboardingError):
    """A webhook whose ``X-Signature-SHA256`` is missing, malformed or wrong."""

    status = 401
    error = "invalid_signature"
    description = "The webhook signature is missing or does not match the body."


class WebhookTooLarge(PayloadTooLarge):
    """A webhook body over the size limit; refused before it is verified or stored."""

    description = "The webhook body is too large."


def wants_json() -> bool:
    """API and webhook paths speak JSON; everything else is a browser leg."""
    return request.path.startswith(JSON_PREFIXES)


def render_error(err: OnboardingError) -> Response:
    """Render an error as JSON or as the friendly page, with its status and headers."""
    if wants_json():
        response = jsonify(err.to_json())
    else:
        html = render_template(
            "error.html", title=err.title, message=err.description, return_link=err.return_link
        )
        response = Response(html, mimetype="text/html")
    response.status_code = err.status
    for name, value in err.headers.items():
        response.headers[name] = value
    return response


def register_errorhandlers(app: Flask) -> None:
    """Route every exception through the one vocabulary; unexpected ones become a bare 500."""

    @app.errorhandler(OnboardingError)
    def handle_onboarding_error(err: OnboardingError) -> Response:
        return render_error(err)

    @app.errorhandler(HTTPException)
    def handle_http_exception(err: HTTPException) -> Response:
        code = err.code or 500
        mapped = OnboardingError(_http_description(code))
        mapped.status = code
        mapped.error = _http_error_code(code)
        mapped.title = "Page not found" if code == 404 else "Something went wrong"
        response = render_error(mapped)
        if code == 405 and err.get_response().headers.get("Allow"):
            response.headers["Allow"] = err.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception) -> Response:
        # Log the route rule, not the path: paths such as the launch URL carry secrets. The engine
        # hides SQL parameters (hide_parameters=True), so the traceback shows code, not data.
        logger.error(
            "unhandled %s on %s",
            type(err).__name__,
            request.url_rule.rule if request.url_rule else "(no route)",
            exc_info=err,
        )
        mapped = OnboardingError("An unexpected error occurred. Please try again later.")
        mapped.status = 500
        mapped.error = "server_error"
        return render_error(mapped)


# Werkzeug's own refusals (no route, wrong method, body over MAX_CONTENT_LENGTH...) in our words.
HTTP_ERRORS: dict[int, type[OnboardingError]] = {
    error.status: error
    for error in (NotFound, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType, RateLimited)
}


def _http_error_code(code: int) -> str:
    known = HTTP_ERRORS.get(code)
    if known is not None:
        return known.error
    return "server_error" if code >= 500 else "invalid_request"


def _http_description(code: int) -> str:
    known = HTTP_ERRORS.get(code)
    return known.description if known is not None else "The request could not be processed."
