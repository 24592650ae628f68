"""Failures talking to Wise, classified the way callers must react to them."""

from __future__ import annotations


class WiseError(Exception):
    """Base of every failure talking to Wise. Messages never include tokens or codes."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WiseUnavailable(WiseError):
    """Transient: network error, timeout, 5xx or 429. Retry later; never treat as a revocation."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class WiseOAuthError(WiseError):
    """Wise answered the token endpoint with an OAuth error (``invalid_grant`` and friends)."""

    def __init__(self, error: str, *, status: int | None = None) -> None:
        super().__init__(f"Wise token endpoint answered {error}", status=status)
        self.error = error


class WiseApiError(WiseError):
    """Wise answered an API call with a non-transient error status (401, 403, 404, 409, 422...)."""

    def __init__(self, message: str, *, status: int, body: object = None) -> None:
        super().__init__(message, status=status)
        self.body = body


class WiseProtocolError(WiseError):
    """Wise answered 2xx with something we cannot read; treat as transient but alert on it."""
