"""The callback with 1,000,000 stored sessions against 1,000: it must not slow down as data grows.

Two kits with the same settings against the same emulator (no worker), one on a database holding
1,000 ended sessions and one holding 1,000,000: bulk-inserted sessions of the past year, personal
data erased, most linked, some expired, failed or declined. PostgreSQL's table is analysed, as
autovacuum would long have done; SQLite's is not, as the kit never runs ANALYZE. Journeys run one
at a time, alternating between the two kits; the callback's p50 at 1M over its p50 at 1k is
judged, and create + launch is shown beside it.
"""

from __future__ import annotations

import statistics
import time
import uuid
from contextlib import ExitStack

from bench._databases import fill_sessions, throwaway_database
from bench._http import Client
from bench._load import CpuMeter, load_average
from bench._report import Result, Sample, Summary, Target
from bench._stack import Deployment, Kit

TARGET = Target("<=", 1.2)


def compare(dep: Deployment) -> list[Result]:
    """Callback p50 on the big table over the small one, per run."""
    with ExitStack() as stack:
        kits: dict[str, Kit] = {}
        notes = []
        for rows in dep.plan.scale_rows:
            label = _short(rows)
            url = stack.enter_context(throwaway_database(dep.kind, dep.workdir, f"scale{label}"))
            kit = Kit.start(
                dep.processes,
                name=f"kit-{label}",
                database_url=url,
                wise=dep.wise,
                signer=dep.signer,
                partner_url=dep.baseline.url,
                worker=False,
            )
            stack.callback(dep.processes.stop, kit.server)
            started = time.monotonic()
            fill_sessions(url, rows, return_url=kit.return_url)
            notes.append(f"{rows:,} sessions inserted in {time.monotonic() - started:.1f} s")
            kits[label] = kit
        return [_measure(dep, kits, notes)]


def _measure(dep: Deployment, kits: dict[str, Kit], notes: list[str]) -> Result:
    small, big = kits
    callbacks: dict[str, list[Sample]] = {label: [] for label in kits}
    begins: dict[str, list[float]] = {label: [] for label in kits}
    client = Client()
    try:
        for kit in kits.values():
            _journey(dep, kit, client)  # warm-up
        for _ in range(dep.plan.runs):
            samples = {label: Sample() for label in kits}
            with CpuMeter({label: kit.server for label, kit in kits.items()}) as meter:
                for i in range(dep.plan.scale_journeys):
                    for label in (small, big) if i % 2 == 0 else (big, small):
                        load = load_average()
                        begin, callback = _journey(dep, kits[label], client)
                        samples[label].add(1, callback, {}, [callback], load)
                        begins[label].append(begin)
            for label, sample in samples.items():
                sample.cpu["server"] = meter.spent[label]
                callbacks[label].append(sample)
    finally:
        client.close()
    ratios = [
        statistics.median(b.latencies) / statistics.median(s.latencies)
        for s, b in zip(callbacks[small], callbacks[big], strict=True)
    ]
    launch = statistics.median(begins[big]) / statistics.median(begins[small])
    notes.append(f"create + launch p50 with {big} / with {small}: {launch:.2f}")
    notes.append("CPU is per journey (create, launch, callback); latencies are the callback's")
    return Result(
        f"callback p50 with {big} / with {small} sessions",
        dep.database,
        "ratio",
        ratios,
        TARGET,
        [_no_rate(Summary.of(f"{label} sessions", callbacks[label])) for label in kits],
        [x for runs in callbacks.values() for sample in runs for x in sample.loads],
        notes,
    )


def _journey(dep: Deployment, kit: Kit, client: Client) -> tuple[float, float]:
    """One journey; the seconds of create + launch and of the callback."""
    started = time.perf_counter()
    pending = kit.begin(client, f"bench-{uuid.uuid4().hex[:12]}")
    begun = time.perf_counter()
    params = dep.wise.consent(client, pending)
    returning = time.perf_counter()
    kit.finish(client, pending, params)
    return begun - started, time.perf_counter() - returning


def _no_rate(side: Summary) -> Summary:
    # One journey at a time: a rate would only restate the latency.
    return Summary(
        side.label, [], side.ops, side.cpu_ms_per_op, side.p50_ms, side.p99_ms, side.max_ms
    )


def _short(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1_000}k"
