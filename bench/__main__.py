"""Run the benchmarks: the kit against what a partner would write instead (issue 14).

Usage: ``python -m bench [--quick] [--database sqlite|postgresql|all] [comparison ...]`` with
comparisons ``journeys``, ``webhooks``, ``access_token`` and ``scale`` (all by default). Every
result is printed with its target as it completes; all of them land in
``bench/results/<time>-<commit>.json``, the servers' logs in ``bench/results/logs/``. The exit
status is 1 when a median misses its target, so CI can choose to gate on it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import access_token, journeys, scale, webhooks
from bench._databases import postgres_unavailable, throwaway_database
from bench._events import EventPool, Signer
from bench._load import load_average
from bench._plan import FULL, QUICK, Plan
from bench._processes import ROOT, Processes
from bench._report import Result
from bench._stack import Baseline, Deployment, Kit, Wise
from sample_app.serving import free_port

RESULTS = ROOT / "bench" / "results"
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# In the order they run; ``scale`` comes last, on kits of its own.
COMPARISONS: dict[str, Callable[[Deployment], list[Result]]] = {
    "journeys": journeys.compare,
    "webhooks": webhooks.compare,
    "access_token": access_token.compare,
    "scale": scale.compare,
}


def main(argv: list[str]) -> int:
    """Run the selected comparisons on each database; print, save, and judge them."""
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = sorted(set(args.comparisons) - set(COMPARISONS))
    if unknown:
        parser.error(
            f"unknown comparison {', '.join(unknown)}; choose from {', '.join(COMPARISONS)}"
        )
    plan = QUICK if args.quick else FULL
    selected = args.comparisons or list(COMPARISONS)
    kinds = list(DATABASES) if args.database == "all" else [args.database]
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "plan": {"name": "quick" if args.quick else "full", **plan.__dict__},
        "load_average_at_start": load_average(),
        "skipped": {},
        "results": [],
    }
    print(
        f"Kit against the alternatives (issue 14), commit {report['commit']}, "
        f"{report['machine']['cpus']} CPUs, {report['plan']['name']} plan ({plan.runs} run"
        f"{'s' if plan.runs > 1 else ''}), load average {report['load_average_at_start']:.2f}",
        flush=True,
    )
    log_dir = RESULTS / "logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    results: list[Result] = []
    try:
        for kind in kinds:
            reason = postgres_unavailable() if kind == "postgresql" else None
            if reason:
                print(f"\n{DATABASES[kind]}: skipped, {reason}", flush=True)
                report["skipped"][kind] = reason
                continue
            print(f"\n{DATABASES[kind]}", flush=True)
            results += _run_database(kind, plan, selected, log_dir / kind)
    except KeyboardInterrupt:
        print("\ninterrupted; every server the bench started is stopped", file=sys.stderr)
        return 130
    finally:
        report["results"] = [r.as_json() for r in results]
        report["duration_seconds"] = round(time.monotonic() - started, 1)
        saved = _save(report)
    failed = [r for r in results if r.verdict == "FAIL"]
    print(
        f"\n{len(results) - len(failed)} of {len(results)} results meet or have no target; "
        f"{len(failed)} FAIL. {report['duration_seconds']:.0f} s in all. "
        f"Saved {saved.relative_to(ROOT)}"
    )
    return 1 if failed else 0


def _run_database(kind: str, plan: Plan, selected: list[str], log_dir: Path) -> list[Result]:
    """Start the emulator, the kit with its worker and the baseline on a new database; compare."""
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="kit-bench-") as tmp,
        ExitStack() as databases,
        Processes(log_dir) as processes,
    ):
        workdir = Path(tmp)
        signer = Signer()
        wise = Wise.start(processes, signer.write_private_key(workdir / "webhook-key.pem"))
        url = databases.enter_context(throwaway_database(kind, workdir, "main"))
        baseline_port = free_port()
        kit = Kit.start(
            processes,
            name="kit",
            database_url=url,
            wise=wise,
            signer=signer,
            partner_url=f"http://127.0.0.1:{baseline_port}",
            worker=True,
        )
        baseline = Baseline.start(processes, database_url=url, wise=wise, port=baseline_port)
        dep = Deployment(
            DATABASES[kind],
            kind,
            workdir,
            plan,
            processes,
            signer,
            wise,
            kit,
            baseline,
            EventPool(signer),
        )
        for name in selected:
            if name == "scale":
                # Its own kits: the main one and its worker stop, so they cannot compete.
                for process in (kit.worker, kit.server):
                    if process is not None:
                        processes.stop(process)
            began = time.monotonic()
            for result in COMPARISONS[name](dep):
                results.append(result)
                print("\n".join(result.lines()), flush=True)
            print(f"    ({name}: {time.monotonic() - began:.0f} s)", flush=True)
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "comparisons",
        nargs="*",
        metavar="comparison",
        help=f"any of {', '.join(COMPARISONS)} (default: all)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one short run of each comparison (scale at 20k rows): for development, not figures",
    )
    parser.add_argument("--database", choices=[*DATABASES, "all"], default="all")
    return parser


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    head = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head or 'unknown'}{' (modified)' if dirty else ''}"


def _save(report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    commit = report["commit"].split()[0]
    path = RESULTS / f"{stamp}-{commit}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
