"""The contract's tests: report how much the fuzzing sent, at the end of the run."""

from __future__ import annotations

import pytest

FUZZ_SUMMARY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the schemathesis tally (cases, requests, statuses) when the fuzzing ran."""
    summary = terminalreporter.config.stash.get(FUZZ_SUMMARY, None)
    if summary:
        terminalreporter.write_sep("-", "contract fuzzing")
        terminalreporter.write_line(summary)
