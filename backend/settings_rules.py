"""Validation rules the settings share: placeholders, URLs, return URLs, comma lists.

Kept apart from ``backend.settings`` so the settings class reads as a table of fields. Every rule
raises ``ValueError`` with a message that says how to fix the value; ``backend.settings`` adds
the variable name and reports every problem at once.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The width of the stored return_url column.
MAX_RETURN_URL_LENGTH = 2048

# Fragments people paste from examples and templates. Production refuses any value holding one,
# so a copied .env, README block or secret-store template cannot go live.
PLACEHOLDER_MARKERS = (
    "change-me",
    "changeme",
    "change_me",
    "placeholder",
    "replace",
    "example",
    "your-",
    "your_",
    "yourbank",
    "xxx",
    "<",
    ">",
    "todo",
    "fixme",
)
PLACEHOLDER_EXACT = frozenset(
    {"secret", "password", "dev", "test", "none", "null", "key", "token", "changeit"}
)
# Whole values that appear in README.md and .env.example; tests/backend/test_settings.py reads
# both files and fails when one of their example values is not refused in production.
DOCUMENTED_EXAMPLE_VALUES = frozenset(
    {
        "postgresql+psycopg://kit@db.internal/onboarding",
        "postgresql+psycopg://kit@db.internal:5432/onboarding",
        "sqlite:///instance/onboarding.db",
        "sqlite:///instance/demo.db",
        "acme-bank-demo",
        "acme-bank-demo-secret",
        "acme-bank-demo-key",
        "acmebank://wise/return",
    }
)
# Hosts reserved for documentation (RFC 2606 and RFC 6761); never a real deployment's.
EXAMPLE_HOSTS = re.compile(r"(^|\.)(example(\.(com|net|org))?|invalid|localhost)$")


def split_list(value: object) -> object:
    """Turn ``"a, b,,c"`` into ``("a", "b", "c")``; other input is left for pydantic to judge."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def looks_like_placeholder(value: str) -> bool:
    """Tell whether a value is a template or example value rather than a real one."""
    lowered = value.strip().lower()
    if lowered in PLACEHOLDER_EXACT or value.strip() in DOCUMENTED_EXAMPLE_VALUES:
        return True
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def strong_secret(value: str, *, min_length: int) -> None:
    """Production rule for secrets: present, not a placeholder, long enough."""
    if not value:
        raise ValueError("is required in production")
    if looks_like_placeholder(value):
        raise ValueError("looks like a placeholder or an example value; set a real value")
    if len(value) < min_length:
        raise ValueError(f"must be at least {min_length} characters long in production")


def http_url(value: str, *, https: bool) -> str:
    """An absolute http(s) URL without a fragment; https only when ``https``."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise ValueError("must be an absolute http(s) URL without a fragment")
    if https and parts.scheme != "https":
        raise ValueError("must use https in production")
    return value


def real_host(value: str) -> None:
    """Production rule for URLs of the deployment: not an example or loopback host."""
    host = (urlsplit(value).hostname or "").lower()
    if value.strip() in DOCUMENTED_EXAMPLE_VALUES or EXAMPLE_HOSTS.search(host):
        raise ValueError(f"points at the example host {host!r}; set your real URL")
    if "yourbank" in host or "your-" in host:
        raise ValueError(f"points at the placeholder host {host!r}; set your real URL")


def return_url(value: str, *, production: bool) -> str:
    """One allowlisted return URL: absolute, no fragment, no script scheme, https in production."""
    parts = urlsplit(value)
    if not parts.scheme or parts.fragment or parts.scheme.lower() in ("javascript", "data", "file"):
        raise ValueError(
            f"entry {value[:60]!r} must be an absolute URL (https, or an app scheme such as "
            "acmebank://wise/return) without a fragment"
        )
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise ValueError(f"entry {value[:60]!r} has no host")
    if len(value) > MAX_RETURN_URL_LENGTH:
        raise ValueError(
            f"entry {value[:40]!r}... is longer than {MAX_RETURN_URL_LENGTH} characters"
        )
    if production and parts.scheme == "http":
        raise ValueError(f"entry {value[:60]!r} must use https in production")
    if production and parts.scheme == "https":
        real_host(value)
    if production and looks_like_placeholder(value):
        raise ValueError(f"entry {value[:60]!r} looks like an example value; set your own")
    return value


def rate_limit(value: str) -> str:
    """A limit in the ``limits`` notation: ``30/hour``, ``600 per minute``, ``10/5 seconds``."""
    from limits import parse_many

    try:
        parsed = parse_many(value)
    except ValueError:
        parsed = []
    if not parsed:
        raise ValueError(f"{value!r} is not a rate limit; write it as e.g. 600/minute or 30/hour")
    return value
