"""``python -m webview_shims.compile``: what ``make shims-compile`` runs."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from webview_shims.compile import toolchains
from webview_shims.compile.checks import Check, all_checks
from webview_shims.compile.mutants import MUTANTS
from webview_shims.compile.workspace import DEFAULT_CACHE, CheckError, log, shim_trees, timed

CHOICES = ("typescript", "kotlin", "swift", "dart")


def main(argv: list[str] | None = None) -> int:
    """Compile the committed shims and the second config's; with --self-test, the mutants too."""
    parser = argparse.ArgumentParser(prog="python -m webview_shims.compile", description=__doc__)
    parser.add_argument(
        "--only", action="append", choices=CHOICES, help="run only this check (repeatable)"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="also feed each check mutated copies of the shims; each must be rejected",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        help="where toolchains are kept between runs (default: .cache/shims-compile)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or CHOICES)
    start = time.monotonic()
    cache: Path = args.cache.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    try:
        with ExitStack() as stack:
            chroot = None
            if wanted & {"swift", "dart"}:
                chroot = stack.enter_context(toolchains.sid_chroot(cache))
            checks = [c for c in all_checks(cache, chroot) if c.name in wanted]
            failed = run_checks(checks, cache, self_test=args.self_test)
    except CheckError as exc:
        log(f"could not run: {exc}")
        return 2
    log(f"total {time.monotonic() - start:.0f} s")
    return 1 if failed else 0


def run_checks(checks: list[Check], cache: Path, *, self_test: bool) -> bool:
    """Run every check on both trees, then its mutants; return True when anything failed."""
    work = cache / "work"
    trees = shim_trees(work)
    failed = False
    for check in checks:
        with timed(f"{check.name}: toolchain ready"):
            check.prepare()
        with timed(f"{check.name}: {' + '.join(t.name for t in trees)}"):
            outcome = check.compile(trees)
        if outcome.accepted:
            log(f"{check.name}: PASS")
        else:
            failed = True
            log(f"{check.name}: FAIL\n{outcome.output}")
        if not self_test:
            continue
        for mutant in (m for m in MUTANTS if m.check == check.name):
            mutated = mutant.apply(trees[0], work)
            with timed(f"{check.name}: mutant '{mutant.kind}'"):
                result = check.compile([mutated])
            # Rejected, and for the mutated file: not for some unrelated reason.
            blamed = mutant.path.rsplit("/", 1)[-1] in result.output
            if result.rejected_everywhere and blamed:
                log(f"{check.name}: mutant '{mutant.kind}' rejected (as it must be)")
            else:
                failed = True
                reason = "rejected for another file" if result.rejected_everywhere else "accepted"
                log(f"{check.name}: mutant '{mutant.kind}' {reason}\n{result.output}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
