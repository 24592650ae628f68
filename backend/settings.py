"""Typed settings, read from ``ONBOARDING_*`` variables and validated once at start-up."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

logger = logging.getLogger(__name__)

Environment = Literal["development", "production", "test"]

# Values people paste from examples. Production refuses them so a copied .env cannot go live.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "replace", "example", "your-", "xxx")
MAX_SESSION_TTL = 1800
# The width of the stored return_url column.
MAX_RETURN_URL_LENGTH = 2048
PLACEHOLDER_EXACT = {"secret", "password", "dev", "test", "todo", "none", "null", "key"}

DEFAULTS: dict[str, str] = {
    "ONBOARDING_ENV": "development",
    "ONBOARDING_DATABASE_URL": "sqlite:///instance/onboarding.db",
    "ONBOARDING_PUBLIC_BASE_URL": "http://localhost:5000",
    "ONBOARDING_RETURN_URLS": "",
    "ONBOARDING_WISE_API_URL": "https://api.wise-sandbox.com",
    "ONBOARDING_WISE_AUTHORIZE_URL": "https://wise-sandbox.com/oauth/authorize/",
    "ONBOARDING_SESSION_TTL_SECONDS": "600",
    "ONBOARDING_SESSION_MAX_TTL_SECONDS": "1800",
    "ONBOARDING_STATE_TTL_SECONDS": "3600",
    "ONBOARDING_WISE_CONNECT_TIMEOUT": "5",
    "ONBOARDING_WISE_READ_TIMEOUT": "15",
    "ONBOARDING_LOG_LEVEL": "INFO",
    "ONBOARDING_CAMERA_CHECK_RATE_LIMIT": "30",
    "ONBOARDING_TRUSTED_PROXY_COUNT": "0",
}


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable to set."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, already validated."""

    env: Environment
    secret_key: str
    database_url: str
    public_base_url: str
    api_keys: tuple[str, ...]
    return_urls: tuple[str, ...]
    token_encryption_keys: tuple[str, ...]
    wise_client_id: str
    wise_client_secret: str
    wise_api_url: str
    wise_authorize_url: str
    wise_redirect_uri: str
    session_ttl_seconds: int
    session_max_ttl_seconds: int
    state_ttl_seconds: int
    wise_connect_timeout: float
    wise_read_timeout: float
    log_level: str
    camera_check_rate_limit: int
    trusted_proxy_count: int
    prefill: PrefillSettings
    # Token refresh, Wise webhooks and partner notifications (the block at the end of this file).
    lifecycle: LifecycleSettings
    # The apple-app-site-association and assetlinks.json files (the block at the end of this file).
    app_links: AppLinksSettings
    # Names of secrets generated for this process because they were not set (development only).
    generated: tuple[str, ...] = field(default=())

    @property
    def is_production(self) -> bool:
        """Tell whether the strict production rules apply."""
        return self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag whenever the public URL is https."""
        return self.public_base_url.startswith("https://")

    @property
    def wise_configured(self) -> bool:
        """Tell whether Wise client credentials are present."""
        return bool(self.wise_client_id and self.wise_client_secret)

    def generated_values(self) -> dict[str, str]:
        """Return generated secrets as variables, so worker processes share them."""
        values = {
            "ONBOARDING_SECRET_KEY": self.secret_key,
            "ONBOARDING_API_KEYS": ",".join(self.api_keys),
            "ONBOARDING_TOKEN_ENCRYPTION_KEYS": ",".join(self.token_encryption_keys),
        }
        return {name: values[name] for name in self.generated if name in values}


def load_settings(environ: Mapping[str, Any]) -> Settings:
    """Build settings from a mapping of ``ONBOARDING_*`` names; raise SettingsError when invalid."""
    # An empty value means "not set", as in `.env.example` copied verbatim into an env file:
    # it falls back to the default instead of overriding it with "".
    given = {
        k: str(v) for k, v in environ.items() if k.startswith("ONBOARDING_") and str(v).strip()
    }
    raw = {**DEFAULTS, **given}
    env = raw["ONBOARDING_ENV"].strip().lower()
    if env not in ("development", "production", "test"):
        raise SettingsError("ONBOARDING_ENV must be one of development, production, test")
    production = env == "production"
    generated: list[str] = []

    def secret(name: str, make: Any) -> str:
        value = raw.get(name, "").strip()
        if value:
            return value
        if production:
            raise SettingsError(f"{name} is required in production; set it to a strong secret")
        generated.append(name)
        return str(make())

    secret_key = secret("ONBOARDING_SECRET_KEY", lambda: secrets.token_urlsafe(48))
    api_keys = _split(secret("ONBOARDING_API_KEYS", lambda: secrets.token_urlsafe(32)))
    enc_keys = _split(
        secret("ONBOARDING_TOKEN_ENCRYPTION_KEYS", lambda: Fernet.generate_key().decode())
    )
    public_base_url = _url(raw, "ONBOARDING_PUBLIC_BASE_URL", https=production).rstrip("/")
    settings = Settings(
        env=env,  # type: ignore[arg-type]  # checked against the Literal above
        secret_key=secret_key,
        database_url=raw["ONBOARDING_DATABASE_URL"].strip(),
        public_base_url=public_base_url,
        api_keys=api_keys,
        return_urls=tuple(
            _return_url(u, production) for u in _split(raw["ONBOARDING_RETURN_URLS"])
        ),
        token_encryption_keys=enc_keys,
        wise_client_id=raw.get("ONBOARDING_WISE_CLIENT_ID", "").strip(),
        wise_client_secret=raw.get("ONBOARDING_WISE_CLIENT_SECRET", "").strip(),
        wise_api_url=_url(raw, "ONBOARDING_WISE_API_URL", https=production).rstrip("/"),
        wise_authorize_url=_url(raw, "ONBOARDING_WISE_AUTHORIZE_URL", https=production),
        wise_redirect_uri=_url(
            {"ONBOARDING_WISE_REDIRECT_URI": f"{public_base_url}/oauth/wise/callback", **raw},
            "ONBOARDING_WISE_REDIRECT_URI",
            https=production,
        ),
        # A launch link is a bearer secret: it lives 30 minutes at the most, whatever is set.
        session_ttl_seconds=_int(raw, "ONBOARDING_SESSION_TTL_SECONDS", 1, MAX_SESSION_TTL),
        session_max_ttl_seconds=_int(raw, "ONBOARDING_SESSION_MAX_TTL_SECONDS", 1, MAX_SESSION_TTL),
        state_ttl_seconds=_int(raw, "ONBOARDING_STATE_TTL_SECONDS", 60, 86400),
        wise_connect_timeout=_float(raw, "ONBOARDING_WISE_CONNECT_TIMEOUT", 0.1, 5.0),
        wise_read_timeout=_float(raw, "ONBOARDING_WISE_READ_TIMEOUT", 0.1, 15.0),
        log_level=raw["ONBOARDING_LOG_LEVEL"].strip().upper(),
        camera_check_rate_limit=_int(raw, "ONBOARDING_CAMERA_CHECK_RATE_LIMIT", 1, 10000),
        trusted_proxy_count=_int(raw, "ONBOARDING_TRUSTED_PROXY_COUNT", 0, 5),
        prefill=load_prefill_settings(raw),
        lifecycle=load_lifecycle_settings(raw, production=production),
        app_links=load_app_links_settings(raw),
        generated=tuple(generated),
    )
    _validate(settings)
    _validate_lifecycle(settings)
    _validate_app_links(settings)
    return settings


def _validate(s: Settings) -> None:
    """Cross-field and production checks that need the whole object."""
    if not s.database_url:
        raise SettingsError("ONBOARDING_DATABASE_URL must not be empty")
    if s.session_ttl_seconds > s.session_max_ttl_seconds:
        raise SettingsError(
            "ONBOARDING_SESSION_TTL_SECONDS must not exceed ONBOARDING_SESSION_MAX_TTL_SECONDS"
        )
    if s.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("ONBOARDING_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    for key in s.token_encryption_keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise SettingsError(
                "ONBOARDING_TOKEN_ENCRYPTION_KEYS must list Fernet keys "
                "(32 url-safe base64 bytes); "
                'make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None
    if s.prefill.idempotency_key_ttl_seconds < s.session_max_ttl_seconds:
        raise SettingsError(
            "ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS must be at least "
            "ONBOARDING_SESSION_MAX_TTL_SECONDS, so a retry can always find its session"
        )
    if not s.is_production:
        return
    _strong(s.secret_key, "ONBOARDING_SECRET_KEY", min_length=32)
    for key in s.api_keys:
        _strong(key, "ONBOARDING_API_KEYS", min_length=32)
    _strong(s.wise_client_id, "ONBOARDING_WISE_CLIENT_ID", min_length=1)
    _strong(s.wise_client_secret, "ONBOARDING_WISE_CLIENT_SECRET", min_length=8)
    if not s.return_urls:
        raise SettingsError(
            "ONBOARDING_RETURN_URLS must list at least one return URL in production"
        )


def _strong(value: str, name: str, *, min_length: int) -> None:
    lowered = value.lower()
    if not value:
        raise SettingsError(f"{name} is required in production")
    if lowered in PLACEHOLDER_EXACT or any(m in lowered for m in PLACEHOLDER_MARKERS):
        raise SettingsError(f"{name} looks like a placeholder; set a real value")
    if len(value) < min_length:
        raise SettingsError(f"{name} must be at least {min_length} characters long")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _url(raw: Mapping[str, str], name: str, *, https: bool) -> str:
    value = raw.get(name, "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise SettingsError(f"{name} must be an absolute http(s) URL without a fragment")
    if https and parts.scheme != "https":
        raise SettingsError(f"{name} must use https in production")
    return value


def _return_url(value: str, production: bool) -> str:
    parts = urlsplit(value)
    if not parts.scheme or parts.fragment or parts.scheme.lower() in ("javascript", "data", "file"):
        raise SettingsError(
            f"ONBOARDING_RETURN_URLS entry {value!r} must be an absolute URL "
            "(https, or an app scheme such as acmebank://wise/return) without a fragment"
        )
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise SettingsError(f"ONBOARDING_RETURN_URLS entry {value!r} has no host")
    if len(value) > MAX_RETURN_URL_LENGTH:
        raise SettingsError(
            f"ONBOARDING_RETURN_URLS entry {value[:40]!r}... is longer than "
            f"{MAX_RETURN_URL_LENGTH} characters"
        )
    if production and parts.scheme == "http":
        raise SettingsError(f"ONBOARDING_RETURN_URLS entry {value!r} must use https in production")
    return value


def _int(raw: Mapping[str, str], name: str, low: int, high: int) -> int:
    try:
        value = int(raw[name])
    except ValueError:
        raise SettingsError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def _float(raw: Mapping[str, str], name: str, low: float, high: float) -> float:
    try:
        value = float(raw[name])
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


# -- prefill mode and idempotency keys --------------------------------------------------------
#
# Kept as one block (and one nested object) so the settings of other features stay apart.

# Languages Wise accepts on ``POST /v1/user/signup/registration_code`` (default EN).
WISE_SIGNUP_LANGUAGES = (
    "EN", "US", "PT", "ES", "FR", "DE", "IT", "JA", "RU", "PL", "HU", "TR", "RO", "NL", "HK",
)  # fmt: skip

PREFILL_DEFAULTS: dict[str, str] = {
    "ONBOARDING_PREFILL_TIME_BUDGET_SECONDS": "10",
    "ONBOARDING_PREFILL_LANGUAGE": "EN",
    "ONBOARDING_WISE_APP_TOKEN_REFRESH_MARGIN_SECONDS": "600",
    "ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS": "86400",
}


@dataclass(frozen=True)
class PrefillSettings:
    """How launches in prefill mode talk to Wise, and how long idempotency keys are kept."""

    # Wall-clock seconds a launch may spend on Wise (all calls and retries) before it shows the
    # customer a "try again" page instead.
    time_budget_seconds: float
    # The ``language`` sent with the registration-code sign-up.
    language: str
    # A cached client-credentials token is replaced this long before it expires.
    app_token_refresh_margin_seconds: int
    # How long an ``Idempotency-Key`` answers with its original session.
    idempotency_key_ttl_seconds: int


def load_prefill_settings(environ: Mapping[str, str]) -> PrefillSettings:
    """Read and validate the prefill block; raise SettingsError naming the variable."""
    raw = {**PREFILL_DEFAULTS, **environ}
    language = raw["ONBOARDING_PREFILL_LANGUAGE"].strip().upper()
    if language not in WISE_SIGNUP_LANGUAGES:
        raise SettingsError(
            "ONBOARDING_PREFILL_LANGUAGE must be one of " + ", ".join(WISE_SIGNUP_LANGUAGES)
        )
    return PrefillSettings(
        time_budget_seconds=_float(raw, "ONBOARDING_PREFILL_TIME_BUDGET_SECONDS", 0.5, 60.0),
        language=language,
        app_token_refresh_margin_seconds=_int(
            raw, "ONBOARDING_WISE_APP_TOKEN_REFRESH_MARGIN_SECONDS", 0, 6 * 3600
        ),
        idempotency_key_ttl_seconds=_int(
            raw, "ONBOARDING_IDEMPOTENCY_KEY_TTL_SECONDS", 60, 30 * 86400
        ),
    )


# -- link lifecycle: token refresh, Wise webhooks, partner notifications -------------------------

WiseEnvironment = Literal["sandbox", "production"]

LIFECYCLE_DEFAULTS: dict[str, str] = {
    "ONBOARDING_WISE_ENVIRONMENT": "sandbox",
    "ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS": "",
    "ONBOARDING_WISE_CLIENT_KEY": "",
    "ONBOARDING_TOKEN_REFRESH_MARGIN_SECONDS": "600",
    "ONBOARDING_PARTNER_WEBHOOK_URL": "",
    "ONBOARDING_PARTNER_WEBHOOK_SECRET": "",
    "ONBOARDING_PARTNER_WEBHOOK_TIMEOUT_SECONDS": "15",
}
# Wise's user access tokens live 12 hours (expires_in 43199). A margin of more than half of that
# would refresh tokens more often than they are used up; the broker also never treats a token
# as due in the first half of its own lifetime, whatever the margin.
MAX_TOKEN_REFRESH_MARGIN_SECONDS = 6 * 3600
# Hosts of Wise's production API; a sandbox configuration pointing at them is a mistake.
PRODUCTION_WISE_HOSTS = ("api.wise.com", "api.transferwise.com", "api-mtls.transferwise.com")


@dataclass(frozen=True)
class LifecycleSettings:
    """Settings for keeping a link alive: token refresh, Wise webhooks, partner notifications."""

    wise_environment: WiseEnvironment
    # PEM texts of the RSA public keys that may sign Wise webhooks.
    wise_webhook_public_keys: tuple[str, ...]
    wise_client_key: str
    token_refresh_margin_seconds: int
    partner_webhook_url: str
    partner_webhook_secret: str
    # Wall-clock bound of one delivery; kept below the 60 s delivery lease.
    partner_webhook_timeout_seconds: float

    @property
    def partner_notifications_enabled(self) -> bool:
        """Tell whether link status changes are pushed to the partner."""
        return bool(self.partner_webhook_url)


def load_lifecycle_settings(environ: Mapping[str, str], *, production: bool) -> LifecycleSettings:
    """Read the lifecycle block; webhook keys default to the published key of the environment."""
    raw = {**LIFECYCLE_DEFAULTS, **environ}
    environment = raw["ONBOARDING_WISE_ENVIRONMENT"].strip().lower()
    if environment not in ("sandbox", "production"):
        raise SettingsError("ONBOARDING_WISE_ENVIRONMENT must be sandbox or production")
    # Imported here: backend.wise imports this module, so a top-level import would be circular.
    from backend.wise.signatures import KeyConfigError, load_public_keys, published_key

    override = raw["ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS"].strip()
    try:
        keys = load_public_keys(override) if override else (published_key(environment),)
    except KeyConfigError as exc:
        raise SettingsError(f"ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS: {exc}") from None
    url = raw["ONBOARDING_PARTNER_WEBHOOK_URL"].strip()
    if url:
        url = _url(raw, "ONBOARDING_PARTNER_WEBHOOK_URL", https=production)
    return LifecycleSettings(
        wise_environment=environment,  # type: ignore[arg-type]  # checked above
        wise_webhook_public_keys=keys,
        wise_client_key=raw["ONBOARDING_WISE_CLIENT_KEY"].strip(),
        token_refresh_margin_seconds=_int(
            raw, "ONBOARDING_TOKEN_REFRESH_MARGIN_SECONDS", 0, MAX_TOKEN_REFRESH_MARGIN_SECONDS
        ),
        partner_webhook_url=url,
        partner_webhook_secret=raw["ONBOARDING_PARTNER_WEBHOOK_SECRET"].strip(),
        partner_webhook_timeout_seconds=_float(
            raw, "ONBOARDING_PARTNER_WEBHOOK_TIMEOUT_SECONDS", 0.1, 45.0
        ),
    )


def _validate_lifecycle(s: Settings) -> None:
    """Checks that need the whole object: consistent Wise environment, a partner secret."""
    life = s.lifecycle
    host = (urlsplit(s.wise_api_url).hostname or "").lower()
    if life.wise_environment == "sandbox" and host in PRODUCTION_WISE_HOSTS:
        raise SettingsError(
            "ONBOARDING_WISE_ENVIRONMENT is sandbox but ONBOARDING_WISE_API_URL is Wise's "
            "production API; set ONBOARDING_WISE_ENVIRONMENT=production"
        )
    if life.wise_environment == "production" and "sandbox" in host:
        raise SettingsError(
            "ONBOARDING_WISE_ENVIRONMENT is production but ONBOARDING_WISE_API_URL is a sandbox; "
            "set ONBOARDING_WISE_ENVIRONMENT=sandbox"
        )
    if life.partner_webhook_url and not life.partner_webhook_secret:
        raise SettingsError(
            "ONBOARDING_PARTNER_WEBHOOK_SECRET is required when ONBOARDING_PARTNER_WEBHOOK_URL "
            "is set: notifications are signed with it"
        )
    if s.is_production and life.partner_webhook_url:
        _strong(life.partner_webhook_secret, "ONBOARDING_PARTNER_WEBHOOK_SECRET", min_length=32)


# -- app links: the files that let the partner's app claim its https return URLs ----------------

APP_LINKS_DEFAULTS: dict[str, str] = {
    "ONBOARDING_APP_LINKS_IOS_APP_IDS": "",
    "ONBOARDING_APP_LINKS_ANDROID_PACKAGE": "",
    "ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256": "",
}
# TEAMID.bundle.id: Apple's ten-character team id, then the bundle id.
IOS_APP_ID_RE = re.compile(r"^[A-Z0-9]{10}\.[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ANDROID_PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
# 32 bytes as colon-separated hex pairs, as `keytool -list -v` and Play Console print them.
CERT_SHA256_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){31}$")


@dataclass(frozen=True)
class AppLinksSettings:
    """Who may open the kit's https return URLs: iOS app ids, and the Android app and its certs."""

    ios_app_ids: tuple[str, ...]
    android_package: str
    android_cert_sha256: tuple[str, ...]


def load_app_links_settings(environ: Mapping[str, str]) -> AppLinksSettings:
    """Read the app-links block; raise SettingsError naming the variable."""
    raw = {**APP_LINKS_DEFAULTS, **environ}
    ios_app_ids = _split(raw["ONBOARDING_APP_LINKS_IOS_APP_IDS"])
    for app_id in ios_app_ids:
        if not IOS_APP_ID_RE.match(app_id):
            raise SettingsError(
                f"ONBOARDING_APP_LINKS_IOS_APP_IDS entry {app_id!r} must be TEAMID.bundle.id "
                "(the ten-character Apple team id, a dot, the bundle id)"
            )
    package = raw["ONBOARDING_APP_LINKS_ANDROID_PACKAGE"].strip()
    if package and not ANDROID_PACKAGE_RE.match(package):
        raise SettingsError(
            f"ONBOARDING_APP_LINKS_ANDROID_PACKAGE {package!r} is not an Android package name"
        )
    certs = tuple(c.upper() for c in _split(raw["ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256"]))
    for cert in certs:
        if not CERT_SHA256_RE.match(cert):
            raise SettingsError(
                f"ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256 entry {cert[:20]!r}... must be a "
                "SHA-256 fingerprint: 32 hex pairs separated by colons"
            )
    if bool(package) != bool(certs):
        raise SettingsError(
            "ONBOARDING_APP_LINKS_ANDROID_PACKAGE and ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256 "
            "go together: Android verifies the package by its signing certificates"
        )
    return AppLinksSettings(
        ios_app_ids=ios_app_ids, android_package=package, android_cert_sha256=certs
    )


def app_link_paths(s: Settings) -> tuple[str, ...]:
    """Paths of the https return URLs on the kit's own host: the only ones its files can claim.

    iOS and Android read these files from the host of the link itself, so a return URL on
    another host needs the files on that host.
    """
    kit = urlsplit(s.public_base_url)
    paths: list[str] = []
    for url in s.return_urls:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.netloc.lower() == kit.netloc.lower():
            path = parts.path or "/"
            if path not in paths:
                paths.append(path)
    return tuple(paths)


def _validate_app_links(s: Settings) -> None:
    """The apple-app-site-association patterns treat * and ? as wildcards: refuse them."""
    if not (s.app_links.ios_app_ids or s.app_links.android_package):
        return
    for path in app_link_paths(s):
        if "*" in path or "?" in path:
            raise SettingsError(
                f"ONBOARDING_RETURN_URLS path {path!r} contains * or ?, which app links read as "
                "wildcards; use a return URL path without them"
            )
