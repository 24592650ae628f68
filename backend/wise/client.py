"""The only code that calls Wise. A typed wrapper over Authlib's requests client and ``requests``.

Every call has a connect and a read timeout, follows no redirects, and turns failures into the
``backend.wise.errors`` classes. Nothing here logs a token, a code or a client secret.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from requests import Response

from backend import metrics, outbound
from backend.clock import Clock
from backend.settings import Settings
from backend.wise.errors import (
    WiseApiError,
    WiseOAuthError,
    WiseProtocolError,
    WiseUnavailable,
)
from backend.wise.paths import WisePath

ERROR_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z", re.ASCII)
ERROR_PATH_RE = re.compile(r"^[A-Za-z0-9_.\[\]-]{1,64}\Z", re.ASCII)
IDEMPOTENCE_HEADER = "X-idempotence-uuid"
ProfileKind = Literal["personal", "business_v2", "business_v3"]
PROFILE_PATHS: dict[str, WisePath] = {
    "personal": WisePath.PERSONAL_PROFILE,
    "business_v2": WisePath.BUSINESS_PROFILE_V2,
    "business_v3": WisePath.BUSINESS_PROFILE_V3,
}
PEOPLE_PATHS: dict[str, WisePath] = {"directors": WisePath.DIRECTORS, "ubos": WisePath.UBOS}


@dataclass(frozen=True)
class TokenSet:
    """A user (or client) token answer from ``POST /oauth/token``."""

    access_token: str
    access_token_expires_at: datetime
    refresh_token: str | None
    refresh_token_expires_at: datetime | None
    scope: str | None

    def __repr__(self) -> str:
        # Keep tokens out of tracebacks and debug output.
        return (
            f"TokenSet(expires_at={self.access_token_expires_at.isoformat()}, scope={self.scope})"
        )


def safe_error_code(value: object) -> str:
    """Return an OAuth error code fit to store, or ``unknown`` for anything odd."""
    text = str(value or "")
    return text if ERROR_CODE_RE.match(text) else "unknown"


def api_error_codes(body: object) -> list[str]:
    """Return Wise's validation error codes as ``CODE`` or ``CODE:path``, fit to store.

    Only codes and field paths are kept: messages and arguments may echo personal data (the 409
    for an existing email repeats the address).
    """
    errors = body.get("errors") if isinstance(body, dict) else None
    codes: list[str] = []
    for item in errors if isinstance(errors, list) else []:
        if not isinstance(item, dict):
            continue
        code = safe_error_code(item.get("code"))
        path = str(item.get("path") or "")
        codes.append(f"{code}:{path}" if ERROR_PATH_RE.match(path) else code)
    return codes[:10]


class WiseClient:
    """Talks to one Wise environment (sandbox, production or the emulator) as one API client."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._timeout = (settings.wise_connect_timeout, settings.wise_read_timeout)
        self._environment = outbound.Environment.read(settings.wise_api_url)
        self._http = self._environment.apply(requests.Session())
        self._http.headers["User-Agent"] = "wise-onboarding-kit"
        # One token client per thread, each with its keep-alive connection (``_token_client``).
        self._local = threading.local()
        self._token_clients: list[OAuth2Session] = []
        self._token_clients_lock = threading.Lock()

    def close(self) -> None:
        """Close the pooled connections, the token clients' too."""
        self._http.close()
        with self._token_clients_lock:
            clients, self._token_clients = self._token_clients, []
        for oauth in clients:
            oauth.close()

    # -- browser leg -------------------------------------------------------------------------

    def authorize_url(self, *, state: str, claim_account_code: str | None = None) -> str:
        """The Wise authorize page URL for this client, carrying ``state``."""
        params = {
            "client_id": self._settings.wise_client_id,
            "redirect_uri": self._settings.wise_redirect_uri,
            "state": state,
        }
        if claim_account_code:
            params["claim_account_code"] = claim_account_code
        base = self._settings.wise_authorize_url
        separator = "&" if urlsplit(base).query else "?"
        return f"{base}{separator}{urlencode(params)}"

    # -- token endpoint ----------------------------------------------------------------------

    def exchange_code(self, *, code: str) -> TokenSet:
        """Exchange an authorization code for the user's tokens (``authorization_code`` grant)."""
        return self._token_request(
            grant_type="authorization_code",
            code=code,
            client_id=self._settings.wise_client_id,
            redirect_uri=self._settings.wise_redirect_uri,
        )

    def refresh(self, *, refresh_token: str) -> TokenSet:
        """Get a new access token with the link's refresh token (``refresh_token`` grant).

        Wise invalidates the previous access token at once. The answer may or may not carry a new
        refresh token; the caller keeps the old one when it does not.
        """
        return self._token_request(grant_type="refresh_token", refresh_token=refresh_token)

    def client_credentials_token(self, *, timeout: float | None = None) -> TokenSet:
        """Get an application token (``client_credentials`` grant) for the Onboarding API."""
        return self._token_request(timeout=timeout, grant_type="client_credentials")

    def registration_code_token(
        self, *, email: str, registration_code: str, timeout: float | None = None
    ) -> TokenSet:
        """Get a user token for an account the partner created and the customer has not claimed."""
        return self._token_request(
            timeout=timeout,
            grant_type="registration_code",
            client_id=self._settings.wise_client_id,
            email=email,
            registration_code=registration_code,
        )

    def _token_request(self, *, timeout: float | None = None, **form: str) -> TokenSet:
        with _observed(f"POST /oauth/token {form.get('grant_type', '')}".rstrip()):
            return self._fetch_token(timeout=timeout, **form)

    def _token_client(self) -> OAuth2Session:
        """This thread's Authlib client for the token endpoint, made on its first exchange.

        Kept between exchanges so each one reuses its keep-alive connection instead of a new TCP
        (and, against Wise, TLS) handshake. Never shared between threads: Authlib stores the
        last token it fetched on the client itself, so two threads would race on it.
        """
        oauth: OAuth2Session | None = getattr(self._local, "oauth", None)
        if oauth is None:
            oauth = OAuth2Session(
                client_id=self._settings.wise_client_id,
                client_secret=self._settings.wise_client_secret,
                token_endpoint_auth_method="client_secret_basic",  # noqa: S106
            )
            # Authlib only raises on OAuth error bodies; this hook sees the status first, so a
            # 5xx, a 429 or an HTML error page is classified as transient, not as a bad grant.
            oauth.register_compliance_hook("access_token_response", _check_token_response)
            oauth.register_compliance_hook("refresh_token_response", _check_token_response)
            self._environment.apply(oauth)
            with self._token_clients_lock:
                self._token_clients.append(oauth)
            self._local.oauth = oauth
        return oauth

    def _fetch_token(self, *, timeout: float | None = None, **form: str) -> TokenSet:
        oauth = self._token_client()
        try:
            with outbound.deadline(self._total(timeout)):
                token = oauth.fetch_token(
                    self._url(WisePath.TOKEN),
                    timeout=self._timeouts(timeout),
                    allow_redirects=False,
                    **form,
                )
        except OAuth2Error as exc:
            raise WiseOAuthError(safe_error_code(exc.error)) from None
        except requests.RequestException as exc:
            raise WiseUnavailable(f"token endpoint unreachable ({type(exc).__name__})") from None
        except (ValueError, TypeError, KeyError) as exc:
            # A 2xx body Authlib cannot read (e.g. an odd expires_at): a protocol problem, which
            # callers treat as transient, never an unhandled 500.
            raise WiseProtocolError(f"unreadable token response ({type(exc).__name__})") from None
        finally:
            # The tokens go to the caller only; the client keeps its connection, not the tokens.
            oauth.token = None
        return self._token_set(token)

    def _token_set(self, token: dict[str, Any]) -> TokenSet:
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise WiseProtocolError("token response without access_token")
        now = self._clock.now()
        refresh = token.get("refresh_token")
        return TokenSet(
            access_token=access,
            access_token_expires_at=now + timedelta(seconds=_seconds(token.get("expires_in"))),
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            refresh_token_expires_at=(
                now + timedelta(seconds=_seconds(token["refresh_token_expires_in"]))
                if token.get("refresh_token_expires_in") is not None
                else None
            ),
            scope=str(token["scope"]) if token.get("scope") else None,
        )

    # -- API ---------------------------------------------------------------------------------

    def get_profile(self, *, access_token: str, profile_id: int) -> dict[str, Any]:
        """Read one profile with the user's token (``GET /v2/profiles/{id}``)."""
        return self._api(
            "GET", WisePath.PROFILE.at(profile_id=int(profile_id)), access_token=access_token
        )

    # -- Onboarding API (prefill) --------------------------------------------------------------

    def user_exists(self, *, app_token: str, email: str, timeout: float | None = None) -> bool:
        """``POST /v1/users/exists`` (client-credentials token): does the email have an account?"""
        body = self._api(
            "POST",
            WisePath.USERS_EXISTS,
            access_token=app_token,
            json={"email": email},
            timeout=timeout,
        )
        exists = body.get("exists")
        if not isinstance(exists, bool):
            raise WiseProtocolError("users/exists answered without a boolean exists")
        return exists

    def sign_up(
        self,
        *,
        app_token: str,
        email: str,
        registration_code: str,
        language: str,
        timeout: float | None = None,
    ) -> int:
        """Create an unclaimed Wise account for ``email``; return its user id.

        A 409 (the email already has an account) surfaces as ``WiseApiError`` with status 409.
        """
        body = self._api(
            "POST",
            WisePath.SIGN_UP,
            access_token=app_token,
            json={"email": email, "registrationCode": registration_code, "language": language},
            timeout=timeout,
        )
        try:
            return int(body["id"])
        except (KeyError, TypeError, ValueError):
            raise WiseProtocolError("sign-up answered without a user id") from None

    def list_profiles(self, *, access_token: str, timeout: float | None = None) -> list[Any]:
        """``GET /v2/profiles``: every profile the user token covers."""
        body = self._call("GET", WisePath.PROFILES, access_token=access_token, timeout=timeout)
        if not isinstance(body, list):
            raise WiseProtocolError("GET /v2/profiles answered no JSON list")
        return body

    def create_profile(
        self,
        *,
        kind: ProfileKind,
        access_token: str,
        body: Mapping[str, Any],
        idempotence_uuid: str,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Create a personal or business profile; a repeat with the same uuid creates nothing.

        ``POST /v2/profiles/personal-profile``, ``/v2/profiles/business-profile`` or
        ``/v3/profiles/business-profile``. Wise documents the v3 answer without a body, so it
        may come back empty.
        """
        answer = self._call(
            "POST",
            PROFILE_PATHS[kind],
            access_token=access_token,
            json=dict(body),
            headers={IDEMPOTENCE_HEADER: idempotence_uuid},
            timeout=timeout,
        )
        if answer is None:
            return {}
        if not isinstance(answer, dict):
            raise WiseProtocolError(f"POST {kind} profile answered a body that is not an object")
        return answer

    def business_people(
        self, *, access_token: str, profile_id: int, kind: str, timeout: float | None = None
    ) -> list[Any]:
        """``GET /v1/profiles/{id}/directors`` or ``/ubos``: the people Wise holds now."""
        body = self._call(
            "GET",
            PEOPLE_PATHS[kind].at(profile_id=int(profile_id)),
            access_token=access_token,
            timeout=timeout,
        )
        if not isinstance(body, list):
            raise WiseProtocolError(f"GET {kind} answered no JSON list")
        return body

    def add_business_people(
        self,
        *,
        access_token: str,
        profile_id: int,
        kind: str,
        people: list[dict[str, Any]],
        timeout: float | None = None,
    ) -> list[Any]:
        """``POST /v1/profiles/{id}/directors`` or ``/ubos``; Wise answers with all of them.

        Wise documents no idempotence header for these calls: a repeat adds the people again,
        so callers read the current list first (``business_people``).
        """
        body = self._call(
            "POST",
            PEOPLE_PATHS[kind].at(profile_id=int(profile_id)),
            access_token=access_token,
            json=people,
            timeout=timeout,
        )
        if not isinstance(body, list):
            raise WiseProtocolError(f"POST {kind} answered no JSON list")
        return body

    def claim_account(
        self, *, access_token: str, registration_code: str, timeout: float | None = None
    ) -> str:
        """Get a ``claim_account_code`` (valid 5 minutes) for the customer's redirect."""
        body = self._api(
            "POST",
            WisePath.CLAIM_ACCOUNT,
            access_token=access_token,
            json={"registrationCode": registration_code},
            timeout=timeout,
        )
        code = body.get("claimAccountCode")
        if not isinstance(code, str) or not code or len(code) > 512:
            raise WiseProtocolError("claim-account answered without a claimAccountCode")
        return code

    def verification_status(
        self, *, access_token: str, profile_id: int, source_currencies: Sequence[str]
    ) -> dict[str, Any]:
        """Ask whether the profile may pay by bank transfer, per source currency.

        ``POST /v3/profiles/{id}/verification-status/bank-transfer?source_currencies=...``
        """
        query = urlencode({"source_currencies": ",".join(source_currencies)})
        path = f"{WisePath.VERIFICATION_STATUS.at(profile_id=int(profile_id))}?{query}"
        return self._api("POST", path, access_token=access_token)

    def simulate_verification(self, *, access_token: str, profile_id: int) -> None:
        """Sandbox only: make Wise verify the profile and send its verification webhook.

        ``POST /v1/simulation/profiles/{id}/verifications`` (user or application token).
        """
        self._call(
            "POST",
            WisePath.SIMULATE_VERIFICATION.at(profile_id=int(profile_id)),
            access_token=access_token,
        )

    # -- Hosted KYC (user token) ---------------------------------------------------------------

    def list_kyc_reviews(self, *, access_token: str, profile_id: int) -> list[Any]:
        """``GET /v1/profiles/{id}/kyc-reviews``: the profile's active reviews (first 100)."""
        path = f"{WisePath.KYC_REVIEWS.at(profile_id=int(profile_id))}?pageNumber=1&pageSize=100"
        body = self._call("GET", path, access_token=access_token)
        if not isinstance(body, list):
            raise WiseProtocolError("GET kyc-reviews answered no JSON list")
        return body

    def get_kyc_review(
        self, *, access_token: str, profile_id: int, kyc_review_id: str
    ) -> dict[str, Any]:
        """``GET /v2/profiles/{id}/kyc-reviews/{reviewId}``."""
        path = WisePath.KYC_REVIEW.at(profile_id=int(profile_id), kyc_review_id=kyc_review_id)
        return self._api("GET", path, access_token=access_token)

    def kyc_review_link(
        self, *, access_token: str, profile_id: int, kyc_review_id: str, redirect_url: str
    ) -> dict[str, Any]:
        """``PATCH /v1/profiles/{id}/kyc-reviews/{reviewId}`` with ``redirectUrl``.

        Answers the review; a review waiting for the customer carries ``link.value``, Wise's
        hosted page, valid 5 minutes.
        """
        path = WisePath.KYC_REVIEW_REDIRECT.at(
            profile_id=int(profile_id), kyc_review_id=kyc_review_id
        )
        return self._api(
            "PATCH", path, access_token=access_token, json={"redirectUrl": redirect_url}
        )

    # -- application subscriptions (client-credentials token) --------------------------------

    def create_subscription(
        self, *, app_token: str, client_key: str, name: str, trigger_on: str, url: str
    ) -> dict[str, Any]:
        """Subscribe the application to one event type."""
        body = {
            "name": name,
            "trigger_on": trigger_on,
            "delivery": {"version": "2.0.0", "url": url},
        }
        path = WisePath.SUBSCRIPTIONS.at(client_key=client_key)
        return self._api("POST", path, access_token=app_token, json=body)

    def list_subscriptions(self, *, app_token: str, client_key: str) -> list[dict[str, Any]]:
        """List the application's subscriptions."""
        path = WisePath.SUBSCRIPTIONS.at(client_key=client_key)
        body = self._call("GET", path, access_token=app_token)
        if not isinstance(body, list):
            raise WiseProtocolError("subscription list is not a JSON array")
        return [item for item in body if isinstance(item, dict)]

    def send_test_notification(
        self, *, app_token: str, client_key: str, subscription_id: str
    ) -> list[dict[str, Any]]:
        """Ask Wise to send a test notification to one subscription; its deliveries.

        ``POST /v3/applications/{clientKey}/subscriptions/{id}/test-notifications`` answers
        ``[{"delivery_id", "created_at"}]``; the delivery arrives like a real one, later.
        """
        path = WisePath.TEST_NOTIFICATIONS.at(
            client_key=client_key, subscription_id=subscription_id
        )
        body = self._call("POST", path, access_token=app_token)
        if not isinstance(body, list):
            raise WiseProtocolError("test-notifications answered no JSON list")
        return [item for item in body if isinstance(item, dict)]

    def delete_subscription(self, *, app_token: str, client_key: str, subscription_id: str) -> None:
        """Delete one application subscription."""
        path = WisePath.SUBSCRIPTION.at(client_key=client_key, subscription_id=subscription_id)
        self._call("DELETE", path, access_token=app_token)

    # -- plumbing ------------------------------------------------------------------------------

    def _api(
        self,
        method: str,
        path: str,
        *,
        access_token: str,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        body = self._call(
            method, path, access_token=access_token, json=json, headers=headers, timeout=timeout
        )
        if not isinstance(body, dict):
            raise WiseProtocolError(
                f"{method} {_route(path)} answered a body that is not a JSON object"
            )
        return body

    def _call(
        self,
        method: str,
        path: str,
        *,
        access_token: str,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Make one API call, counted and timed; return the parsed JSON body (None when empty)."""
        with _observed(metrics.endpoint(method, path)):
            return self._send(
                method, path, access_token=access_token, json=json, headers=headers, timeout=timeout
            )

    def _send(
        self,
        method: str,
        path: str,
        *,
        access_token: str,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        what = f"{method} {_route(path)}"
        try:
            with outbound.deadline(self._total(timeout)):
                response = self._http.request(
                    method,
                    self._url(path),
                    headers={**(headers or {}), "Authorization": f"Bearer {access_token}"},
                    json=json,
                    timeout=self._timeouts(timeout),
                    allow_redirects=False,
                )
        except requests.RequestException as exc:
            raise WiseUnavailable(f"{what} failed ({type(exc).__name__})") from None
        _raise_for_transient(response, what)
        if response.status_code >= 300:
            raise WiseApiError(
                f"{what} answered {response.status_code}",
                status=response.status_code,
                body=_json_or_none(response),
            )
        return _json_or_none(response) if response.content else None

    def _total(self, cap: float | None) -> float:
        """The wall-clock bound of one call: connect plus read timeout (or the budget's cap).

        The refresh lease in backend.services.tokens is sized from this bound.
        """
        connect, read = self._timeouts(cap)
        return connect + read

    def _timeouts(self, cap: float | None) -> tuple[float, float]:
        """The (connect, read) timeouts, shortened to ``cap`` seconds when a budget runs out."""
        if cap is None:
            return self._timeout
        cap = max(0.1, cap)
        return (min(self._timeout[0], cap), min(self._timeout[1], cap))

    def _url(self, path: str) -> str:
        return f"{self._settings.wise_api_url}{path}"


# OAuth error codes kept as metric labels; anything else is counted as "oauth_other".
KNOWN_OAUTH_ERRORS = frozenset(
    {
        "invalid_grant",
        "invalid_client",
        "unauthorized_client",
        "invalid_request",
        "unsupported_grant_type",
        "invalid_scope",
        "access_denied",
    }
)


@contextmanager
def _observed(endpoint: str) -> Iterator[None]:
    """Count a Wise call by endpoint and outcome, and time it (labels never hold data)."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except WiseOAuthError as exc:
        outcome = f"oauth_{exc.error}" if exc.error in KNOWN_OAUTH_ERRORS else "oauth_other"
        raise
    except WiseApiError as exc:
        outcome = f"http_{exc.status}" if exc.status and 400 <= exc.status < 500 else "http_other"
        raise
    except WiseUnavailable:
        outcome = "unavailable"
        raise
    except WiseProtocolError:
        outcome = "protocol_error"
        raise
    except BaseException:
        outcome = "error"
        raise
    finally:
        metrics.WISE_CALLS.labels(endpoint=endpoint, outcome=outcome).inc()
        metrics.WISE_CALL_SECONDS.labels(endpoint=endpoint).observe(time.perf_counter() - started)


def _route(path: str) -> str:
    """The path without its query string, for error messages and logs."""
    return path.split("?", 1)[0]


def _check_token_response(response: Response) -> Response:
    """Compliance hook: classify token-endpoint answers by status before Authlib parses them."""
    _raise_for_transient(response, "POST /oauth/token")
    if 300 <= response.status_code < 400:
        raise WiseProtocolError("token endpoint answered a redirect", status=response.status_code)
    if response.status_code >= 400:
        body = _json_or_none(response)
        error = body.get("error") if isinstance(body, dict) else None
        raise WiseOAuthError(
            safe_error_code(error or f"http_{response.status_code}"), status=response.status_code
        )
    return response


def _raise_for_transient(response: Response, what: str) -> None:
    # 408 (Wise lists it among its statuses), 429 and 5xx say "not now", never "no".
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise WiseUnavailable(
            f"{what} answered {response.status_code}",
            status=response.status_code,
            retry_after=_retry_after(response),
        )


def _retry_after(response: Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    # Seconds only (not an HTTP date), ASCII digits, and never more than a day.
    return min(int(value), 86400) if value.isascii() and value.isdigit() else None


def _json_or_none(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _seconds(value: object) -> int:
    try:
        seconds = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise WiseProtocolError("token response with an unreadable expires_in") from None
    return max(0, seconds)
