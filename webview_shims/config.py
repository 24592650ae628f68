"""Read and validate ``shims.toml`` into one frozen, typed :class:`ShimsConfig`.

Every error names the field it is about (``web.trusted_origins[1]``), so a mobile developer can fix
the file without reading this module.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

PLATFORMS: tuple[str, ...] = ("ios", "android", "react_native", "flutter")
DEFAULT_TRUSTED_ORIGINS: tuple[str, ...] = ("https://wise.com", "https://wise-sandbox.com")
DEFAULT_CONFIG_PATH = Path(__file__).with_name("shims.toml")

# Plain http is only acceptable where nothing can sit between the app and the server.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Schemes that run code, read local data or mean something else to the OS: never a return URL.
FORBIDDEN_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "data",
        "blob",
        "file",
        "filesystem",
        "about",
        "content",
        "intent",
        "ftp",
        "ws",
        "wss",
        "mailto",
        "tel",
        "sms",
    }
)
SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")
HOST_RE = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
# Only characters that every platform's URL parser keeps as they are, so the generated code can
# compare paths byte for byte. Percent-escapes are refused: %7E and ~ would compare unequal.
PATH_RE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@/-]*$")
BUNDLE_ID_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PACKAGE_SEGMENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Apple's ten-character team id (the prefix of the app id in apple-app-site-association).
TEAM_ID_RE = re.compile(r"^[A-Z0-9]{10}$")
# SHA-256 of a signing certificate as `keytool -list -v` prints it: 32 colon-separated hex pairs.
CERT_SHA256_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){31}$")
# Java and Kotlin keywords cannot be package segments without quoting, and Android refuses them.
_RESERVED_WORD_LIST = (
    "abstract as assert boolean break byte case catch char class const continue default do "
    "double else enum extends false final finally float for fun goto if implements import in "
    "instanceof int interface is long native new null object package private protected "
    "public return short static strictfp super switch synchronized this throw throws "
    "transient true try typealias typeof val var void volatile when while"
)
RESERVED_WORDS = frozenset(_RESERVED_WORD_LIST.split())

KNOWN_KEYS: dict[str, frozenset[str]] = {
    "app": frozenset(
        {"name", "ios_bundle_id", "ios_team_id", "android_package", "android_cert_sha256"}
    ),
    "web": frozenset({"trusted_origins", "return_urls"}),
    "permissions": frozenset({"camera", "microphone", "file_upload"}),
    "ios": frozenset(
        {
            "camera_usage_description",
            "microphone_usage_description",
            "photo_library_usage_description",
        }
    ),
    "generate": frozenset({"platforms"}),
}


class ConfigError(ValueError):
    """A problem in ``shims.toml``, tied to the field that causes it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ReturnUrl:
    """A URL the backend redirects to when the onboarding ends.

    The shims compare ``endpoint`` (scheme, host, port and path) exactly; the query carries
    ``session_id`` and ``status`` and is not part of the match.
    """

    url: str
    scheme: str
    host: str
    port: int | None
    path: str

    @property
    def origin(self) -> str:
        """Scheme, host and port, serialised the way browsers do (default port left out)."""
        return serialize_origin(self.scheme, self.host, self.port)

    @property
    def endpoint(self) -> str:
        """The origin followed by the path (``/`` when the URL has none)."""
        return self.origin + (self.path or "/")

    @property
    def is_custom_scheme(self) -> bool:
        """True for an app scheme such as ``acmebank://``, false for http(s)."""
        return self.scheme not in DEFAULT_PORTS


@dataclass(frozen=True)
class ShimsConfig:
    """Everything the templates need, validated."""

    app_name: str
    ios_bundle_id: str | None
    android_package: str | None
    # App identities for https return URLs (Universal Links, App Links): optional.
    ios_team_id: str | None
    android_cert_sha256: tuple[str, ...]
    trusted_origins: tuple[str, ...]
    return_urls: tuple[ReturnUrl, ...]
    camera: bool
    microphone: bool
    file_upload: bool
    platforms: tuple[str, ...]
    camera_usage_description: str
    microphone_usage_description: str
    photo_library_usage_description: str

    @property
    def has_plain_http_origin(self) -> bool:
        """True when a trusted origin is http://localhost or http://127.0.0.1 (development)."""
        return any(origin.startswith("http://") for origin in self.trusted_origins)

    @property
    def system_browser_return_url(self) -> ReturnUrl:
        """The return URL the system-browser launchers wait for: the first one listed."""
        return self.return_urls[0]

    @property
    def https_return_urls(self) -> tuple[ReturnUrl, ...]:
        """The https return URLs: the app claims them through Universal Links and App Links."""
        return tuple(r for r in self.return_urls if r.scheme == "https")

    @property
    def custom_scheme_return_url(self) -> ReturnUrl | None:
        """The first app-scheme return URL, which older iOS versions wait for."""
        return next((r for r in self.return_urls if r.is_custom_scheme), None)

    @property
    def app_link_hosts(self) -> tuple[str, ...]:
        """Hosts of the https return URLs, in order: the associated domains of the app."""
        return tuple(dict.fromkeys(r.host for r in self.https_return_urls))

    @property
    def ios_app_id(self) -> str | None:
        """``TEAMID.bundle.id``, as apple-app-site-association names the app."""
        if self.ios_team_id is None or self.ios_bundle_id is None:
            return None
        return f"{self.ios_team_id}.{self.ios_bundle_id}"


def serialize_origin(scheme: str, host: str, port: int | None) -> str:
    """Write ``scheme://host[:port]`` as a browser serialises an origin."""
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def load_config(path: Path = DEFAULT_CONFIG_PATH) -> ShimsConfig:
    """Read ``path`` and validate it; raise :class:`ConfigError` naming the bad field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read: {exc.strerror}") from exc
    return parse_config(raw)


def parse_config(raw: Mapping[str, Any]) -> ShimsConfig:
    """Validate an already-parsed TOML document."""
    for table, value in raw.items():
        if table not in KNOWN_KEYS:
            raise ConfigError(table, f"unknown table (known: {', '.join(sorted(KNOWN_KEYS))})")
        if not isinstance(value, Mapping):
            raise ConfigError(table, "must be a table, written [" + table + "]")
        for key in value:
            if key not in KNOWN_KEYS[table]:
                known = ", ".join(sorted(KNOWN_KEYS[table]))
                raise ConfigError(f"{table}.{key}", f"unknown key (known in [{table}]: {known})")

    app = raw.get("app", {})
    web = raw.get("web", {})
    permissions = raw.get("permissions", {})
    ios = raw.get("ios", {})
    generate = raw.get("generate", {})

    platforms = _platforms(generate.get("platforms", list(PLATFORMS)))
    name = _text(app, "app", "name", required=True)
    assert name is not None
    ios_bundle_id = _text(app, "app", "ios_bundle_id", required="ios" in platforms)
    if ios_bundle_id is not None and not BUNDLE_ID_RE.match(ios_bundle_id):
        raise ConfigError(
            "app.ios_bundle_id",
            f"{ios_bundle_id!r} is not a bundle id (letters, digits, '-' and '.', "
            "at least two parts, e.g. com.example.bank)",
        )
    android_package = _text(app, "app", "android_package", required="android" in platforms)
    if android_package is not None:
        _check_package(android_package)
    ios_team_id = _text(app, "app", "ios_team_id")
    if ios_team_id is not None and not TEAM_ID_RE.match(ios_team_id):
        raise ConfigError(
            "app.ios_team_id",
            f"{ios_team_id!r} is not an Apple team id (ten capital letters and digits)",
        )
    certs = tuple(
        _cert(value, f"app.android_cert_sha256[{i}]")
        for i, value in enumerate(_string_list(app, "app", "android_cert_sha256", []))
    )

    origins = _string_list(web, "web", "trusted_origins", list(DEFAULT_TRUSTED_ORIGINS))
    if not origins:
        raise ConfigError("web.trusted_origins", "must list at least one origin")
    trusted = _unique(
        [_origin(value, f"web.trusted_origins[{i}]") for i, value in enumerate(origins)],
        "web.trusted_origins",
    )
    return_values = _string_list(web, "web", "return_urls", None)
    if not return_values:
        raise ConfigError(
            "web.return_urls", "must list at least one return URL (the backend's return_url)"
        )
    return_urls = tuple(
        _return_url(value, f"web.return_urls[{i}]") for i, value in enumerate(return_values)
    )
    _unique([r.endpoint for r in return_urls], "web.return_urls")

    camera = _flag(permissions, "camera", True)
    microphone = _flag(permissions, "microphone", False)
    file_upload = _flag(permissions, "file_upload", True)

    return ShimsConfig(
        app_name=name,
        ios_bundle_id=ios_bundle_id,
        android_package=android_package,
        ios_team_id=ios_team_id,
        android_cert_sha256=certs,
        trusted_origins=trusted,
        return_urls=return_urls,
        camera=camera,
        microphone=microphone,
        file_upload=file_upload,
        platforms=platforms,
        camera_usage_description=_text(ios, "ios", "camera_usage_description")
        or f"{name} uses the camera so you can photograph your ID document for Wise.",
        microphone_usage_description=_text(ios, "ios", "microphone_usage_description")
        or f"{name} uses the microphone when Wise records a video selfie.",
        photo_library_usage_description=_text(ios, "ios", "photo_library_usage_description")
        or f"{name} lets you choose a photo of your ID document for Wise.",
    )


def _text(table: Mapping[str, Any], section: str, key: str, required: bool = False) -> str | None:
    field = f"{section}.{key}"
    value = table.get(key)
    if value is None:
        if required:
            raise ConfigError(field, "is required")
        return None
    if not isinstance(value, str):
        raise ConfigError(field, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ConfigError(field, "must not be empty")
    # One line of printable text: it ends up in string literals, plist values and READMEs.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigError(field, "must be a single line without control characters")
    return value


def _cert(value: str, field: str) -> str:
    normalized = value.strip().upper()
    if not CERT_SHA256_RE.match(normalized):
        raise ConfigError(
            field,
            f"{value!r} is not a SHA-256 certificate fingerprint "
            "(32 hex pairs separated by colons, as `keytool -list -v` prints it)",
        )
    return normalized


def _flag(table: Mapping[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"permissions.{key}", f"must be true or false, not {value!r}")
    return value


def _string_list(
    table: Mapping[str, Any], section: str, key: str, default: list[str] | None
) -> list[str]:
    field = f"{section}.{key}"
    value = table.get(key, default)
    if value is None:
        raise ConfigError(field, "is required")
    if not isinstance(value, list):
        raise ConfigError(field, "must be a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(f"{field}[{i}]", f"must be a string, not {type(item).__name__}")
    return value


def _unique(values: list[str], field: str) -> tuple[str, ...]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ConfigError(f"{field}[{i}]", f"{value!r} is listed twice")
        seen.add(value)
    return tuple(values)


def _platforms(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(
            "generate.platforms", f"must be a non-empty list of {', '.join(PLATFORMS)}"
        )
    for i, item in enumerate(value):
        if item not in PLATFORMS:
            raise ConfigError(
                f"generate.platforms[{i}]",
                f"unknown platform {item!r} (choose from {', '.join(PLATFORMS)})",
            )
    _unique(list(value), "generate.platforms")
    # Keep a fixed order so the output does not depend on how the list was written.
    return tuple(p for p in PLATFORMS if p in value)


def _check_package(package: str) -> None:
    segments = package.split(".")
    if len(segments) < 2:
        raise ConfigError(
            "app.android_package", f"{package!r} needs at least two parts, e.g. com.example.bank"
        )
    for segment in segments:
        if not PACKAGE_SEGMENT_RE.match(segment):
            raise ConfigError(
                "app.android_package",
                f"{package!r}: part {segment!r} must start with a letter and hold only "
                "letters, digits and '_'",
            )
        if segment in RESERVED_WORDS:
            raise ConfigError(
                "app.android_package", f"{package!r}: part {segment!r} is a Java/Kotlin keyword"
            )


def _split(value: str, field: str) -> SplitResult:
    if value != value.strip() or any(ch.isspace() for ch in value):
        raise ConfigError(field, f"{value!r} is not a valid URL: it contains whitespace")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - urlsplit only checks the port when it is read
    except ValueError as exc:
        raise ConfigError(field, f"{value!r} is not a valid URL: {exc}") from exc
    if not parts.scheme or not parts.netloc:
        raise ConfigError(field, f"{value!r} is not a valid URL: write scheme://host")
    if "@" in parts.netloc:
        raise ConfigError(field, f"{value!r}: user names and passwords are not allowed in URLs")
    if parts.fragment or "#" in value:
        raise ConfigError(field, f"{value!r}: remove the #fragment")
    if parts.query or "?" in value:
        raise ConfigError(field, f"{value!r}: remove the ?query (the backend adds its own)")
    host = parts.hostname or ""
    if not HOST_RE.match(host):
        raise ConfigError(
            field, f"{value!r}: {host!r} is not a valid host name (use the punycode form)"
        )
    return parts


def _origin(value: str, field: str) -> str:
    parts = _split(value, field)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in DEFAULT_PORTS:
        raise ConfigError(field, f"{value!r}: trusted origins must be https URLs")
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ConfigError(
            field,
            f"{value!r}: must be https (plain http is only allowed for localhost and 127.0.0.1)",
        )
    if parts.path not in ("",):
        raise ConfigError(
            field, f"{value!r}: an origin has no path; write {scheme}://{parts.netloc}"
        )
    return serialize_origin(scheme, host, parts.port)


def _return_url(value: str, field: str) -> ReturnUrl:
    parts = _split(value, field)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme in FORBIDDEN_SCHEMES or not SCHEME_RE.match(scheme):
        raise ConfigError(
            field, f"{value!r}: use an https URL or an app scheme such as myapp://, not {scheme}:"
        )
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ConfigError(
            field,
            f"{value!r}: must be https or an app scheme (http only for localhost and 127.0.0.1)",
        )
    if not PATH_RE.match(parts.path):
        raise ConfigError(
            field, f"{value!r}: the path may only hold letters, digits and -._~!$&'()*+,;=:@/"
        )
    return ReturnUrl(url=value, scheme=scheme, host=host, port=parts.port, path=parts.path or "/")
