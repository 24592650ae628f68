"""Run every benchmark module in ``bench/`` and print its ratio against its target.

Usage: ``python -m bench`` (all) or ``python -m bench callback_overhead``. Exit status 1 when a
ratio misses its target, so CI can choose to gate on it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import bench


def main(names: list[str]) -> int:
    """Run the named benchmarks (all when none are named) and report."""
    available = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")
    )
    selected = names or available
    failed = False
    for name in selected:
        if name not in available:
            print(f"unknown benchmark {name!r}; available: {', '.join(available)}")
            return 2
        module = importlib.import_module(f"bench.{name}")
        for result in module.run():
            verdict = "ok" if result.ratio <= result.target else "MISSED"
            failed |= verdict != "ok"
            print(result.report())
            print(f"  -> ratio {result.ratio:.2f} (target <= {result.target:.2f}): {verdict}")
    Path("bench/results").mkdir(parents=True, exist_ok=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
