"""Single-use secrets, their hashes, constant-time comparison and URL allowlisting."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Launch tokens, OAuth state and browser bindings are random 256-bit values. A plain SHA-256 is the
# right hash for them: they cannot be guessed, so a slow password hash would add cost and no safety.
SECRET_BYTES = 32
MAX_SECRET_LENGTH = 128


def new_secret() -> str:
    """Return a fresh URL-safe single-use secret (256 bits)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(value: str) -> str:
    """Return the hex SHA-256 of a secret; only this is ever stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def plausible_secret(value: str | None) -> bool:
    """Reject absurd inputs before hashing them (empty or oversized)."""
    return bool(value) and len(value or "") <= MAX_SECRET_LENGTH


def matches_any(candidate: str, allowed: Iterable[str]) -> bool:
    """Constant-time membership test for API keys.

    Both sides are hashed first so the comparison time does not depend on key lengths, and every
    configured key is compared so timing does not reveal which one matched.
    """
    digest = hashlib.sha256(candidate.encode("utf-8")).digest()
    found = False
    for key in allowed:
        if hmac.compare_digest(digest, hashlib.sha256(key.encode("utf-8")).digest()):
            found = True
    return found


def is_allowed_return_url(url: str, allowlist: Iterable[str]) -> bool:
    """Exact string match against the allowlist: no prefix, host or scheme normalisation tricks."""
    return url in set(allowlist)


def with_query(url: str, params: Mapping[str, str]) -> str:
    """Append parameters to a URL, keeping the query it already has (works for app schemes too)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k not in params] + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
