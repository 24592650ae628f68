"""Benchmarks: each compares two things measured side by side in one run and reports a ratio."""
