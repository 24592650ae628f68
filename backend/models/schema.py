"""The JSON Schema spelling of rules the models check in Python, for the OpenAPI document."""

from __future__ import annotations

import re

# What ``\s`` means under re.ASCII; JSON Schema's (ECMA-262) ``\s`` also matches Unicode spaces.
ASCII_SPACE = r" \t\n\r\f\v"


def json_pattern(regex: re.Pattern[str]) -> str:
    """The ECMA-262 spelling of an anchored ASCII pattern, so the document states the same rule.

    Python's ``\\Z`` (the very end) is ECMA's ``$``; ``\\s`` is spelled out inside character
    classes, where the patterns here use it.
    """
    return regex.pattern.replace(r"\Z", "$").replace(r"\s", ASCII_SPACE)
