"""Talking to Wise: the client and its error classes."""

from backend.wise.client import TokenSet, WiseClient
from backend.wise.errors import (
    WiseApiError,
    WiseError,
    WiseOAuthError,
    WiseProtocolError,
    WiseUnavailable,
)

__all__ = [
    "TokenSet",
    "WiseApiError",
    "WiseClient",
    "WiseError",
    "WiseOAuthError",
    "WiseProtocolError",
    "WiseUnavailable",
]
