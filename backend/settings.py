"""Typed settings, read from ``ONBOARDING_*`` variables and validated once, all at once.

``Settings`` is a pydantic-settings class: each field is one variable (``wise_client_id`` is
``ONBOARDING_WISE_CLIENT_ID``). An empty value means "not set", as in ``.env.example`` copied
verbatim. ``load_settings`` reports every problem in one ``SettingsError``, each line naming its
variable and how to fix it, so an operator fixes a configuration in one pass.
"""

from __future__ import annotations

import contextvars
import re
import secrets
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from backend import settings_rules as rules

PREFIX = "ONBOARDING_"
Environment = Literal["development", "production", "test"]
WiseEnvironment = Literal["sandbox", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
BusinessProfileApi = Literal["v2", "v3"]
StrList = Annotated[tuple[str, ...], NoDecode]

# A launch link is a bearer secret: it lives 30 minutes at the most, whatever is configured.
MAX_SESSION_TTL = 1800
# Wise's user access tokens live 12 hours. A margin of more than half of that would refresh tokens
# more often than they are used up; the broker also never treats a token as due in the first half
# of its own lifetime, whatever the margin.
MAX_TOKEN_REFRESH_MARGIN_SECONDS = 6 * 3600
# Hosts of Wise's production API; a sandbox configuration pointing at them is a mistake.
PRODUCTION_WISE_HOSTS = ("api.wise.com", "api.transferwise.com", "api-mtls.transferwise.com")
# Languages Wise accepts on ``POST /v1/user/signup/registration_code`` (default EN).
WISE_SIGNUP_LANGUAGES = (
    "EN", "US", "PT", "ES", "FR", "DE", "IT", "JA", "RU", "PL", "HU", "TR", "RO", "NL", "HK",
)  # fmt: skip
# TEAMID.bundle.id: Apple's ten-character team id, then the bundle id.
IOS_APP_ID_RE = re.compile(r"^[A-Z0-9]{10}\.[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z")
ANDROID_PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+\Z")
# 32 bytes as colon-separated hex pairs, as `keytool -list -v` and Play Console print them.
CERT_SHA256_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){31}\Z")
FERNET_HINT = (
    'make one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)
SECRET_HINT = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'  # noqa: S105
# Secrets generated for one process in development, and how.
GENERATED: dict[str, Any] = {
    "secret_key": lambda: secrets.token_urlsafe(48),
    "api_keys": lambda: secrets.token_urlsafe(32),
    "token_encryption_keys": lambda: Fernet.generate_key().decode(),
}
# Settings whose values are secrets: masked by `config check`, never logged.
SECRET_FIELDS = frozenset(
    {
        "secret_key",
        "api_keys",
        "token_encryption_keys",
        "wise_client_secret",
        "partner_webhook_secret",
        "metrics_token",
        "redis_url",
        "database_url",
    }
)

_ENVIRON: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("onboarding_environ")


class SettingsError(ValueError):
    """One or more settings are missing or invalid; each line names the variable to set."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Everything the service reads from its environment, already validated."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, frozen=True, extra="ignore", validate_default=True
    )

    # -- core (env first: later rules depend on it) ------------------------------------------
    env: Environment = "development"
    secret_key: str = ""
    database_url: str = "sqlite:///instance/onboarding.db"
    public_base_url: str = "http://localhost:5000"
    api_keys: StrList = ()
    return_urls: StrList = ()
    token_encryption_keys: StrList = ()
    # -- Wise --------------------------------------------------------------------------------
    wise_client_id: str = ""
    wise_client_secret: str = ""
    wise_api_url: str = "https://api.wise-sandbox.com"
    wise_authorize_url: str = "https://wise-sandbox.com/oauth/authorize/"
    wise_redirect_uri: str = ""
    wise_connect_timeout: float = Field(5.0, ge=0.1, le=5.0)
    wise_read_timeout: float = Field(15.0, ge=0.1, le=15.0)
    wise_environment: WiseEnvironment = "sandbox"
    # PEM texts of the RSA public keys that may sign Wise webhooks (default: Wise's published key).
    wise_webhook_public_keys: StrList = ()
    wise_client_key: str = ""
    # -- sessions ----------------------------------------------------------------------------
    session_ttl_seconds: int = Field(600, ge=1, le=MAX_SESSION_TTL)
    session_max_ttl_seconds: int = Field(1800, ge=1, le=MAX_SESSION_TTL)
    state_ttl_seconds: int = Field(3600, ge=60, le=86400)
    # -- operations --------------------------------------------------------------------------
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = "text"
    # -- metrics (backend/metrics.py) -----------------------------------------------------------
    # Bearer token for GET /metrics on the web port; empty: no /metrics there (404).
    metrics_token: str = ""
    # host:port the worker serves its metrics on; empty: the worker serves none.
    worker_metrics_address: str = ""
    trusted_proxy_count: int = Field(0, ge=0, le=5)
    # -- rate limits (backend/rate_limits.py), in the `limits` notation --------------------
    # Shared by every instance through Redis when set; otherwise counted per instance.
    redis_url: str = ""
    rate_limit_api: str = "600/minute"
    rate_limit_auth_failures: str = "20/minute"
    rate_limit_browser: str = "60/minute"
    rate_limit_camera_check: str = "30/hour"
    rate_limit_webhooks: str = "6000/minute"
    # -- link lifecycle ----------------------------------------------------------------------
    token_refresh_margin_seconds: int = Field(600, ge=0, le=MAX_TOKEN_REFRESH_MARGIN_SECONDS)
    # Source currencies of the verification check after linking (and of ?refresh=verification).
    verification_source_currencies: StrList = ("GBP", "EUR", "USD")
    partner_webhook_url: str = ""
    partner_webhook_secret: str = ""
    # Wall-clock bound of one delivery; kept below the delivery lease.
    partner_webhook_timeout_seconds: float = Field(15.0, ge=0.1, le=45.0)
    # -- prefill mode and idempotency keys ---------------------------------------------------
    prefill_time_budget_seconds: float = Field(10.0, ge=0.5, le=60.0)
    prefill_language: str = "EN"
    wise_app_token_refresh_margin_seconds: int = Field(600, ge=0, le=6 * 3600)
    # v2: the representative's personal profile, then POST /v2/profiles/business-profile (what
    # Wise's docs recommend now); v3: POST /v3/profiles/business-profile, announced for deprecation.
    wise_business_profile_api: BusinessProfileApi = "v2"
    # Ask POST /v1/users/exists before signing a pre-filled customer up, as Wise recommends.
    prefill_check_user_exists: bool = False
    idempotency_key_ttl_seconds: int = Field(86400, ge=60, le=30 * 86400)
    # -- bounded waits on the database (backend/db_bounds.py) ---------------------------------
    database_connect_timeout_seconds: float = Field(5.0, ge=1.0, le=60.0)
    database_statement_timeout_seconds: float = Field(5.0, ge=0.5, le=300.0)
    database_pool_timeout_seconds: float = Field(5.0, ge=0.1, le=60.0)
    # -- the worker and its queues -----------------------------------------------------------
    worker_poll_seconds: float = Field(1.0, ge=0.05, le=60.0)
    # How long an item a worker claimed stays its own: a killed worker's item waits this long.
    worker_lease_seconds: float = Field(60.0, ge=5.0, le=3600.0)
    retry_base_seconds: float = Field(30.0, ge=0.1, le=3600.0)
    retry_max_seconds: float = Field(3600.0, ge=1.0, le=86400.0)
    webhook_max_attempts: int = Field(10, ge=1, le=100)
    notification_max_attempts: int = Field(30, ge=1, le=1000)
    token_refresh_max_attempts: int = Field(10, ge=1, le=100)
    # -- retention: how long rows are kept before the worker purges them (days) -------------
    # Wise retries a webhook for two weeks: a stored receipt must outlive that to deduplicate.
    retention_webhook_days: int = Field(30, ge=15, le=3650)
    retention_notification_days: int = Field(30, ge=1, le=3650)
    retention_session_days: int = Field(90, ge=1, le=3650)
    retention_prefill_days: int = Field(90, ge=1, le=3650)
    retention_camera_check_days: int = Field(90, ge=1, le=3650)
    # -- app links: who may open the kit's https return URLs (blueprints/app_links.py) -------
    app_links_ios_app_ids: StrList = ()
    app_links_android_package: str = ""
    app_links_android_cert_sha256: StrList = ()
    # Names of secrets generated for this process because they were not set (development only).
    generated: tuple[str, ...] = Field(default=(), exclude=True)

    # -- derived -----------------------------------------------------------------------------

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

    @property
    def partner_notifications_enabled(self) -> bool:
        """Tell whether link and session changes are pushed to the partner."""
        return bool(self.partner_webhook_url)

    @property
    def app_link_paths(self) -> tuple[str, ...]:
        """Paths of the https return URLs on the kit's own host: the only ones its files claim.

        iOS and Android read these files from the host of the link itself, so a return URL on
        another host needs the files on that host.
        """
        kit = urlsplit(self.public_base_url).netloc.lower()
        paths: list[str] = []
        for url in self.return_urls:
            parts = urlsplit(url)
            if parts.scheme == "https" and parts.netloc.lower() == kit:
                path = parts.path or "/"
                if path not in paths:
                    paths.append(path)
        return tuple(paths)

    def generated_values(self) -> dict[str, str]:
        """Return generated secrets as variables, so worker processes share them."""
        values = {}
        for variable in self.generated:
            value = getattr(self, variable.removeprefix(PREFIX).lower())
            values[variable] = ",".join(value) if isinstance(value, tuple) else str(value)
        return values

    # -- sources -----------------------------------------------------------------------------

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read only the mapping handed to ``load_settings`` (never a stray .env file)."""
        return (_MappingSource(settings_cls),)

    # -- rules -------------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _generate_development_secrets(cls, data: Any) -> Any:
        """Outside production, a missing secret is generated for this process (with a warning)."""
        if not isinstance(data, dict):
            return data
        if str(data.get("env", "development")).strip().lower() == "production":
            return data
        made = [name for name in GENERATED if not data.get(name)]
        return {
            **data,
            **{name: GENERATED[name]() for name in made},
            "generated": tuple(env_name(name) for name in made),
        }

    @field_validator(
        "env", "wise_environment", "log_format", "wise_business_profile_api", mode="before"
    )
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", "prefill_language", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "api_keys",
        "return_urls",
        "token_encryption_keys",
        "wise_webhook_public_keys",
        "app_links_ios_app_ids",
        "app_links_android_cert_sha256",
        "verification_source_currencies",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object, info: ValidationInfo) -> object:
        if info.field_name == "wise_webhook_public_keys" and isinstance(value, str):
            return (value,)  # PEM text holds commas of its own; parsed in the field rule
        return rules.split_list(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str, info: ValidationInfo) -> str:
        if _production(info):
            try:
                rules.strong_secret(value, min_length=32)
            except ValueError as exc:
                raise ValueError(f"{exc}; {SECRET_HINT}") from None
        return value

    @field_validator("api_keys")
    @classmethod
    def _api_keys(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if _production(info):
            if not value:
                raise ValueError(f"is required in production; {SECRET_HINT}")
            for key in value:
                rules.strong_secret(key, min_length=32)
        return value

    @field_validator("token_encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not value:
            raise ValueError(f"is required in production; {FERNET_HINT}")
        for key in value:
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                raise ValueError(
                    f"must list Fernet keys (32 url-safe base64 bytes); {FERNET_HINT}"
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if _production(info) and value in rules.DOCUMENTED_EXAMPLE_VALUES:
            raise ValueError(
                "is the development default or a documentation example; set the production "
                "database, e.g. postgresql+psycopg://user@host/db or an absolute SQLite path"
            )
        return value

    @field_validator("public_base_url")
    @classmethod
    def _public_base_url(cls, value: str, info: ValidationInfo) -> str:
        value = rules.http_url(value, https=_production(info)).rstrip("/")
        if _production(info):
            rules.real_host(value)
        return value

    @field_validator("wise_api_url", "wise_authorize_url")
    @classmethod
    def _wise_url(cls, value: str, info: ValidationInfo) -> str:
        value = rules.http_url(value, https=_production(info))
        return value.rstrip("/") if info.field_name == "wise_api_url" else value

    @field_validator("wise_redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            base = info.data.get("public_base_url")
            return f"{base}/oauth/wise/callback" if base else value
        return rules.http_url(value, https=_production(info))

    @field_validator("return_urls")
    @classmethod
    def _return_urls(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        production = _production(info)
        if production and not value:
            raise ValueError("must list at least one return URL in production")
        return tuple(rules.return_url(url, production=production) for url in value)

    @field_validator("wise_client_id", "wise_client_secret", "wise_client_key")
    @classmethod
    def _wise_credentials(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if value and rules.looks_like_placeholder(value) and _production(info):
            raise ValueError("looks like a placeholder or an example value; set a real value")
        if _production(info) and info.field_name != "wise_client_key":
            rules.strong_secret(
                value, min_length=8 if info.field_name == "wise_client_secret" else 1
            )
        return value

    @field_validator("wise_webhook_public_keys")
    @classmethod
    def _webhook_keys(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        # Imported here: backend.wise imports this module, so a top-level import would be circular.
        from backend.wise.signatures import KeyConfigError, load_public_keys, published_key

        if not value or not value[0].strip():
            return (published_key(info.data.get("wise_environment", "sandbox")),)
        try:
            return load_public_keys(value[0])
        except KeyConfigError as exc:
            raise ValueError(f"cannot be used: {exc}") from None

    @field_validator("session_max_ttl_seconds")
    @classmethod
    def _ttl_within_max(cls, value: int, info: ValidationInfo) -> int:
        ttl = info.data.get("session_ttl_seconds")
        if ttl is not None and ttl > value:
            raise ValueError("must be at least ONBOARDING_SESSION_TTL_SECONDS")
        return value

    @field_validator("partner_webhook_url")
    @classmethod
    def _partner_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            return ""
        value = rules.http_url(value, https=_production(info))
        if _production(info):
            rules.real_host(value)
        return value

    @field_validator("partner_webhook_secret")
    @classmethod
    def _partner_secret(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("partner_webhook_url"):
            if not value:
                raise ValueError(
                    "is required when ONBOARDING_PARTNER_WEBHOOK_URL is set: notifications are "
                    f"signed with it; {SECRET_HINT}"
                )
            if _production(info):
                rules.strong_secret(value, min_length=32)
        return value

    @field_validator(
        "rate_limit_api",
        "rate_limit_auth_failures",
        "rate_limit_browser",
        "rate_limit_camera_check",
        "rate_limit_webhooks",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        return rules.rate_limit(value.strip())

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if value and _production(info):
            rules.strong_secret(value, min_length=32)
        return value

    @field_validator("worker_metrics_address")
    @classmethod
    def _metrics_address(cls, value: str) -> str:
        value = value.strip()
        if value:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("must be host:port, e.g. 127.0.0.1:9102")
        return value

    @field_validator("retry_max_seconds")
    @classmethod
    def _retry_cap(cls, value: float, info: ValidationInfo) -> float:
        base = info.data.get("retry_base_seconds")
        if base is not None and value < base:
            raise ValueError("must be at least ONBOARDING_RETRY_BASE_SECONDS")
        return value

    @field_validator("prefill_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in WISE_SIGNUP_LANGUAGES:
            raise ValueError("must be one of " + ", ".join(WISE_SIGNUP_LANGUAGES))
        return value

    @field_validator("idempotency_key_ttl_seconds")
    @classmethod
    def _idempotency_ttl(cls, value: int, info: ValidationInfo) -> int:
        longest = info.data.get("session_max_ttl_seconds")
        if longest is not None and value < longest:
            raise ValueError(
                "must be at least ONBOARDING_SESSION_MAX_TTL_SECONDS, so a retry can always "
                "find its session"
            )
        return value

    @field_validator("verification_source_currencies")
    @classmethod
    def _currencies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(code.upper() for code in value)
        if not codes or len(codes) > 10 or not all(re.match(r"^[A-Z]{3}\Z", c) for c in codes):
            raise ValueError("must list 1 to 10 ISO 4217 currency codes, e.g. GBP,EUR,USD")
        return codes

    @field_validator("app_links_ios_app_ids")
    @classmethod
    def _ios_app_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for app_id in value:
            if not IOS_APP_ID_RE.match(app_id):
                raise ValueError(
                    f"entry {app_id[:60]!r} must be TEAMID.bundle.id (the ten-character Apple "
                    "team id, a dot, the bundle id)"
                )
        return value

    @field_validator("app_links_android_package")
    @classmethod
    def _android_package(cls, value: str) -> str:
        value = value.strip()
        if value and not ANDROID_PACKAGE_RE.match(value):
            raise ValueError(f"{value[:60]!r} is not an Android package name")
        return value

    @field_validator("app_links_android_cert_sha256")
    @classmethod
    def _android_certs(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        certs = tuple(cert.upper() for cert in value)
        for cert in certs:
            if not CERT_SHA256_RE.match(cert):
                raise ValueError(
                    f"entry {cert[:20]!r}... must be a SHA-256 fingerprint: 32 hex pairs "
                    "separated by colons"
                )
        if bool(info.data.get("app_links_android_package")) != bool(certs):
            raise ValueError(
                "and ONBOARDING_APP_LINKS_ANDROID_PACKAGE go together: Android verifies the "
                "package by its signing certificates"
            )
        return certs

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        """Rules between fields that are each valid on their own."""
        host = (urlsplit(self.wise_api_url).hostname or "").lower()
        if self.wise_environment == "sandbox" and host in PRODUCTION_WISE_HOSTS:
            raise ValueError(
                "ONBOARDING_WISE_ENVIRONMENT is sandbox but ONBOARDING_WISE_API_URL is Wise's "
                "production API; set ONBOARDING_WISE_ENVIRONMENT=production"
            )
        if self.wise_environment == "production" and "sandbox" in host:
            raise ValueError(
                "ONBOARDING_WISE_ENVIRONMENT is production but ONBOARDING_WISE_API_URL is a "
                "sandbox; set ONBOARDING_WISE_ENVIRONMENT=sandbox"
            )
        if self.app_links_ios_app_ids or self.app_links_android_package:
            for path in self.app_link_paths:
                # apple-app-site-association patterns read * and ? as wildcards.
                if "*" in path or "?" in path:
                    raise ValueError(
                        f"ONBOARDING_RETURN_URLS path {path!r} contains * or ?, which app links "
                        "read as wildcards; use a return URL path without them"
                    )
        return self


class _MappingSource(EnvSettingsSource):
    """The environment source, reading the mapping ``load_settings`` was given."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _ENVIRON.get()
        # An empty or blank value means "not set", as in `.env.example` copied into an env file:
        # the default applies instead of "".
        return {
            key.lower(): str(value)
            for key, value in environ.items()
            if key.startswith(PREFIX) and str(value).strip()
        }


def env_name(field: str) -> str:
    """The variable that sets ``field``."""
    return PREFIX + field.upper()


def load_settings(environ: Mapping[str, Any]) -> Settings:
    """Build settings from ``ONBOARDING_*`` names; raise SettingsError listing every problem."""
    token = _ENVIRON.set({str(k): v for k, v in environ.items()})
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_problems(exc)) from None
    finally:
        _ENVIRON.reset(token)


def _production(info: ValidationInfo) -> bool:
    return info.data.get("env") == "production"


def _problems(exc: ValidationError) -> list[str]:
    """One line per problem: the variable, what is wrong, how to fix it."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if not error["loc"]:
            lines.append(message)  # a cross-field rule names its variables itself
            continue
        field = str(error["loc"][0])
        lines.append(f"{env_name(field)} {_explain(field, str(error.get('type', '')), message)}")
    return lines


def _explain(field: str, kind: str, message: str) -> str:
    """Pydantic's wording, in terms of an environment variable."""
    if kind in ("greater_than_equal", "less_than_equal"):
        low = high = None
        for rule in Settings.model_fields[field].metadata:
            low = getattr(rule, "ge", low)
            high = getattr(rule, "le", high)
        return f"must be between {low:g} and {high:g}"
    if kind == "int_parsing" or kind == "int_from_float":
        return "must be an integer"
    if kind == "float_parsing":
        return "must be a number"
    return message.replace("Input should be", "must be")
