"""``EmulatorControl``: a small typed client for the emulator's control API.

It talks HTTP only, so tests can drive an emulator in a thread, in another process or on another
host the same way.
"""

from __future__ import annotations

from typing import Any, cast

import requests

TIMEOUT_SECONDS = 15.0


class EmulatorControlError(RuntimeError):
    """The control API refused a call."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"control API answered {status}: {body}")
        self.status = status
        self.body = body


class EmulatorControl:
    """Drive a running emulator through ``/__emulator/``."""

    def __init__(self, base_url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()

    def _call(self, method: str, path: str, json: Any = None, *, ok_404: bool = False) -> Any:
        response = self._http.request(
            method, f"{self.base_url}/__emulator{path}", json=json, timeout=self.timeout
        )
        if ok_404 and response.status_code == 404:
            return None
        if response.status_code >= 400:
            try:
                detail: Any = response.json()
            except ValueError:
                detail = response.text
            raise EmulatorControlError(response.status_code, detail)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return response.text

    # -- state -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all users, tokens, faults, webhooks and counters; reseed the demo users."""
        self._call("POST", "/reset")

    def counters(self) -> dict[str, Any]:
        """Return request counts per route and path, token calls per grant and creation counts."""
        return cast(dict[str, Any], self._call("GET", "/counters"))

    def register_client(
        self,
        client_id: str,
        client_secret: str,
        client_key: str,
        redirect_uris: list[str],
        name: str = "Acme Bank",
    ) -> dict[str, Any]:
        """Register or replace an API client."""
        payload = {
            "client_secret": client_secret,
            "client_key": client_key,
            "redirect_uris": redirect_uris,
            "name": name,
        }
        return cast(dict[str, Any], self._call("PUT", f"/clients/{client_id}", payload))

    # -- users -----------------------------------------------------------------------------------

    def create_user(
        self,
        email: str,
        *,
        password: str = "wise-demo",  # noqa: S107 - the published demo password
        first_name: str = "Test",
        last_name: str = "User",
        date_of_birth: str = "1990-01-01",
        profiles: list[str | dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Create a user; ``profiles`` lists "PERSONAL", "BUSINESS" or dicts (default PERSONAL)."""
        payload: dict[str, Any] = {
            "email": email,
            "password": password,
            "first_name": first_name,
            "last_name": last_name,
            "date_of_birth": date_of_birth,
            "profiles": ["PERSONAL"] if profiles is None else profiles,
        }
        return cast(dict[str, Any], self._call("POST", "/users", payload))

    def get_user(self, email: str | int) -> dict[str, Any] | None:
        """Return the user (by email or id) with its profiles and their data, or None."""
        return cast(dict[str, Any] | None, self._call("GET", f"/users/{email}", ok_404=True))

    def revoke_user(self, user: str | int) -> dict[str, Any]:
        """Revoke all tokens of a user (by id or email), as a disconnect at Wise does."""
        return cast(dict[str, Any], self._call("POST", f"/users/{user}/revoke"))

    def set_user_state(
        self,
        user: str | int,
        state: str,
        deactivation_type: str | None = None,
        deactivation_reason: str | None = None,
    ) -> dict[str, Any]:
        """Move a user to ACTIVE / WITHDRAW_ONLY / DEACTIVATED; emits ``users#state-change``."""
        payload = {
            "state": state,
            "deactivation_type": deactivation_type,
            "deactivation_reason": deactivation_reason,
        }
        return cast(dict[str, Any], self._call("POST", f"/users/{user}/state", payload))

    def change_email(self, user: str | int, new_email: str) -> dict[str, Any]:
        """Change a user's email; all of the user's tokens are revoked."""
        return cast(
            dict[str, Any], self._call("POST", f"/users/{user}/email", {"email": new_email})
        )

    def authorize(
        self,
        client_id: str,
        redirect_uri: str,
        email: str,
        profile_id: int | None = None,
        state: str | None = None,
        claim_account_code: str | None = None,
    ) -> dict[str, Any]:
        """Issue a code as if the user consented: ``code``, ``profile_id``, ``redirect_url``."""
        payload = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "email": email,
            "profile_id": profile_id,
            "state": state,
            "claim_account_code": claim_account_code,
        }
        return cast(dict[str, Any], self._call("POST", "/authorize", payload))

    def expire_claim_codes(self) -> int:
        """Make every outstanding claim_account_code expired; returns how many there were."""
        return int(self._call("POST", "/claim-codes/expire")["expired"])

    # -- faults, clock, settings -----------------------------------------------------------------

    def add_fault(
        self,
        method: str,
        path: str,
        status: int | None = 503,
        count: int | None = 1,
        delay_seconds: float = 0.0,
        grant_type: str | None = None,
        body: dict[str, Any] | None = None,
        hold: bool = False,
        lose_answer: bool = False,
    ) -> dict[str, Any]:
        """Make the next ``count`` matching requests wait and/or fail (``path`` may be a glob).

        ``hold`` parks each matching request until ``release_fault`` (at most 30 s); watch
        ``fault(id)["waiting"]`` to know when one is parked. ``lose_answer`` carries the request
        out, then answers ``status`` instead: Wise did the work, the caller never heard.
        """
        payload = {
            "method": method,
            "path": path,
            "status": status,
            "count": count,
            "delay_seconds": delay_seconds,
            "grant_type": grant_type,
            "body": body,
            "hold": hold,
            "lose_answer": lose_answer,
        }
        return cast(dict[str, Any], self._call("POST", "/faults", payload))

    def fault(self, fault_id: int) -> dict[str, Any]:
        """One fault with ``waiting``: how many requests it is holding right now."""
        return cast(dict[str, Any], self._call("GET", f"/faults/{fault_id}"))

    def release_fault(self, fault_id: int | None = None) -> int:
        """Let requests parked by one hold fault (or all) go on; returns how many faults."""
        path = "/faults/release" if fault_id is None else f"/faults/{fault_id}/release"
        return int(self._call("POST", path)["released"])

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._call("DELETE", "/faults")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the emulator's clock; returns ``now`` and ``offset_seconds``."""
        return cast(dict[str, Any], self._call("POST", "/clock/advance", {"seconds": seconds}))

    def settings(self) -> dict[str, Any]:
        """Return the behaviour switches."""
        return cast(dict[str, Any], self._call("GET", "/settings"))

    def update_settings(self, **switches: Any) -> dict[str, Any]:
        """Change behaviour switches, e.g. ``refresh_token_rotation=True``."""
        return cast(dict[str, Any], self._call("PATCH", "/settings", switches))

    # -- webhooks, transfers, verification -------------------------------------------------------

    def webhook_public_key_pem(self) -> str:
        """Return the PEM public key that verifies the emulator's webhook signatures."""
        return cast(str, self._call("GET", "/webhooks/public-key"))

    def deliveries(self) -> list[dict[str, Any]]:
        """Return every webhook delivery with its attempts."""
        return cast(list[dict[str, Any]], self._call("GET", "/webhooks/deliveries"))

    def flush_webhooks(self) -> list[dict[str, Any]]:
        """Attempt every pending delivery now; returns the attempts made."""
        return cast(list[dict[str, Any]], self._call("POST", "/webhooks/flush"))

    def create_transfer(self, profile_id: int) -> dict[str, Any]:
        """Create a transfer for a profile (emits ``transfers#state-change``)."""
        return cast(dict[str, Any], self._call("POST", "/transfers", {"profile_id": profile_id}))

    def set_verification_routes(
        self, profile_id: int, routes: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """Set the verification-status answer per currency, e.g. mixed or limited routes."""
        return cast(
            dict[str, Any],
            self._call("PUT", f"/profiles/{profile_id}/verification-routes", {"routes": routes}),
        )

    def create_kyc_review(
        self,
        profile_id: int,
        *,
        trigger: str = "TRANSFER",
        trigger_id: int | str | None = None,
        requirement: str | None = None,
    ) -> dict[str, Any]:
        """Make Wise need more from the customer (Hosted KYC); returns the waiting review."""
        payload: dict[str, Any] = {"trigger": trigger}
        if trigger_id is not None:
            payload["trigger_id"] = trigger_id
        if requirement is not None:
            payload["requirement"] = requirement
        return cast(
            dict[str, Any], self._call("POST", f"/profiles/{profile_id}/kyc-reviews", payload)
        )

    def kyc_reviews(self) -> list[dict[str, Any]]:
        """Every KYC review with its requirements, ``profile_id`` and ``redirectUrl``."""
        return cast(list[dict[str, Any]], self._call("GET", "/kyc-reviews"))

    def set_verification(self, profile_id: int, state: str = "verified") -> dict[str, Any]:
        """Set a profile's verification state and emit the verification webhook."""
        return cast(
            dict[str, Any],
            self._call("POST", f"/profiles/{profile_id}/verification", {"state": state}),
        )
