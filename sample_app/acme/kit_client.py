"""Acme's server-to-server client for the onboarding kit's partner API."""

from __future__ import annotations

from typing import Any

import requests


class KitApiError(Exception):
    """The kit answered with an error; ``error`` is its machine code."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class KitClient:
    """Calls the kit with Acme's API key. The browser never sees the key."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {api_key}"

    def create_session(
        self, body: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """``POST /api/v1/onboarding-sessions``.

        With an idempotency key, a request that fails in transit is sent once more with the same
        key: the kit answers with the session it may already have created.
        """
        if idempotency_key is None:
            return self._call("POST", "/api/v1/onboarding-sessions", json=body)
        headers = {"Idempotency-Key": idempotency_key}
        try:
            return self._call("POST", "/api/v1/onboarding-sessions", json=body, headers=headers)
        except (requests.ConnectionError, requests.Timeout):
            return self._call("POST", "/api/v1/onboarding-sessions", json=body, headers=headers)

    def get_session(self, session_id: str) -> dict[str, Any]:
        """``GET /api/v1/onboarding-sessions/<id>``."""
        return self._call("GET", f"/api/v1/onboarding-sessions/{session_id}")

    def get_link(self, external_id: str) -> dict[str, Any]:
        """``GET /api/v1/customers/<external_id>/wise-link``."""
        return self._call("GET", f"/api/v1/customers/{external_id}/wise-link")

    def refresh_link(self, external_id: str) -> dict[str, Any]:
        """``GET /api/v1/customers/<external_id>/wise-link?refresh=verification``.

        The kit asks Wise with the customer's token; if Wise revoked it, the kit answers 409
        ``reauthorization_required`` and the link shows it from then on.
        """
        return self._call(
            "GET", f"/api/v1/customers/{external_id}/wise-link", params={"refresh": "verification"}
        )

    def simulate_verification(self, external_id: str) -> dict[str, Any]:
        """``POST /api/v1/customers/<external_id>/wise-link/simulate-verification`` (sandbox).

        The kit has Wise's sandbox verify the profile; the link's verification status changes
        when Wise's webhook reaches the kit, a moment later.
        """
        return self._call(
            "POST", f"/api/v1/customers/{external_id}/wise-link/simulate-verification"
        )

    def kyc_reviews(self, external_id: str) -> list[dict[str, Any]]:
        """``GET /api/v1/customers/<external_id>/wise-link/kyc-reviews``: what Wise needs."""
        body = self._call("GET", f"/api/v1/customers/{external_id}/wise-link/kyc-reviews")
        reviews = body.get("kyc_reviews")
        return reviews if isinstance(reviews, list) else []

    def launch_kyc_review(
        self, external_id: str, review_id: str, *, return_url: str
    ) -> dict[str, Any]:
        """``POST .../wise-link/kyc-reviews/<id>/launch``: a single-use link to Wise's page."""
        return self._call(
            "POST",
            f"/api/v1/customers/{external_id}/wise-link/kyc-reviews/{review_id}/launch",
            json={"return_url": return_url},
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.request(method, self._base + path, timeout=self._timeout, **kwargs)
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            raise KitApiError(
                response.status_code,
                str(body.get("error", "unknown")),
                str(body.get("error_description", "")),
            )
        return body
