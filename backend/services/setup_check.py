"""Check a deployment's Wise set-up end to end: ``onboarding-kit config check --wise``.

Valid settings are not enough for a real sandbox journey: Wise must accept the client
credentials, the API URL must be Wise's, the webhook URL must be one Wise delivers to and be
subscribed for every event the kit handles, and the database must be migrated. Each check here
asks the real thing (Wise over HTTP, the database) and says what to do when it fails; every
check runs even when an earlier one failed, so one run lists everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend import db as database
from backend.context import Runtime
from backend.services import subscriptions
from backend.wise import WiseError, WiseOAuthError

WEBHOOK_PATH = "/webhooks/wise"


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ``ok``, ``fail`` or ``info`` (nothing to verify from here)."""

    outcome: str
    name: str
    detail: str

    @property
    def failed(self) -> bool:
        """Whether this finding stops a real journey from working."""
        return self.outcome == "fail"


def check_wise_setup(runtime: Runtime) -> list[Finding]:
    """Every check of the Wise set-up, in the order a partner fixes them."""
    settings = runtime.settings
    webhook_url = settings.public_base_url.rstrip("/") + WEBHOOK_PATH
    findings = [
        _database(settings.database_url),
        Finding(
            "info",
            "redirect URI",
            f"register exactly {settings.wise_redirect_uri} with Wise for your client id",
        ),
        _webhook_url(webhook_url),
    ]
    token, credentials = _credentials(runtime)
    findings.append(credentials)
    findings.append(_subscriptions(runtime, token, webhook_url))
    keys = settings.wise_webhook_public_keys
    findings.append(
        Finding(
            "info",
            "webhook signatures",
            f"verified with {len(keys)} key(s) from ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS"
            if keys
            else f"verified with Wise's published {settings.wise_environment} key "
            "(ONBOARDING_WISE_ENVIRONMENT)",
        )
    )
    return findings


def _database(url: str) -> Finding:
    try:
        database.require_driver(url)
    except database.DriverMissing as exc:
        return Finding("fail", "database", str(exc))
    status = database.schema_status_of(url)
    if status == "ok":
        return Finding("ok", "database", "reachable and migrated")
    if status == "unreachable":
        return Finding("fail", "database", "unreachable: check ONBOARDING_DATABASE_URL")
    return Finding("fail", "database", "not migrated: run `onboarding-kit db upgrade`")


def _webhook_url(url: str) -> Finding:
    problems = subscriptions.webhook_url_problems(url)
    if problems:
        return Finding(
            "fail",
            "webhook URL",
            f"Wise will not deliver to {url}: {'; '.join(problems)}. Set "
            "ONBOARDING_PUBLIC_BASE_URL to the kit's public https address (port 443)",
        )
    return Finding("ok", "webhook URL", f"{url} is a URL Wise delivers to")


def _credentials(runtime: Runtime) -> tuple[str | None, Finding]:
    settings = runtime.settings
    if not settings.wise_configured:
        return None, Finding(
            "fail",
            "client credentials",
            "set ONBOARDING_WISE_CLIENT_ID and ONBOARDING_WISE_CLIENT_SECRET",
        )
    try:
        token = runtime.wise.client_credentials_token().access_token
    except WiseOAuthError as exc:
        return None, Finding(
            "fail",
            "client credentials",
            f"Wise refused them ({exc.error}): check ONBOARDING_WISE_CLIENT_ID and "
            "ONBOARDING_WISE_CLIENT_SECRET, and that ONBOARDING_WISE_API_URL "
            f"({settings.wise_api_url}) is the environment they belong to",
        )
    except WiseError as exc:
        return None, Finding(
            "fail",
            "client credentials",
            f"could not reach Wise at ONBOARDING_WISE_API_URL ({settings.wise_api_url}): {exc}",
        )
    return token, Finding("ok", "client credentials", "Wise issued an application token")


def _subscriptions(runtime: Runtime, token: str | None, url: str) -> Finding:
    key = runtime.settings.wise_client_key
    if not key:
        return Finding(
            "fail",
            "webhook subscriptions",
            "set ONBOARDING_WISE_CLIENT_KEY (the client key Wise gave you with the credentials)",
        )
    if token is None:
        return Finding("fail", "webhook subscriptions", "not checked: no application token")
    try:
        found = runtime.wise.list_subscriptions(app_token=token, client_key=key)
    except WiseError as exc:
        return Finding(
            "fail",
            "webhook subscriptions",
            f"Wise refused to list them ({exc}): check ONBOARDING_WISE_CLIENT_KEY",
        )
    missing = [
        event
        for event in subscriptions.EVENT_TYPES
        if not any(subscriptions.matches(item, event, url) for item in found)
    ]
    if missing:
        return Finding(
            "fail",
            "webhook subscriptions",
            f"{url} is not subscribed to {', '.join(missing)}: run "
            f"`onboarding-kit webhooks subscribe --url {url}`",
        )
    return Finding(
        "ok",
        "webhook subscriptions",
        f"{url} is subscribed to all {len(subscriptions.EVENT_TYPES)} event types",
    )
