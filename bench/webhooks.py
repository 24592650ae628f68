"""Webhook intake: events acknowledged per second, and the acknowledgement latency of a flood.

Kit: ``POST /webhooks/wise`` with distinct events (``transfers#state-change``, a new transfer each)
signed with the key the kit trusts; it verifies, stores and answers 200. One ``onboarding-kit
worker`` runs beside it, as in production, and applies the events meanwhile: its CPU competes
with the web processes and is reported per event ("worker"). After each kit burst the bench waits,
untimed, until the worker has applied every event, so that backlog never runs during the
baseline's turn. Baseline: the bare endpoint answering 200 to the same bytes.

Throughput: time-boxed bursts from 8 senders, ABBA within a run. Flood: 2,000 new events from
16 senders as fast as they are answered; the kit's acknowledgement p99 is judged, the bare
endpoint's figures are there for scale.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from bench._databases import count_rows
from bench._http import Client
from bench._load import CpuMeter, run_for, run_items
from bench._processes import Process
from bench._report import Result, Sample, Summary, Target, ratio_result
from bench._stack import Deployment, Kit, Side, one_run

THROUGHPUT_TARGET = Target(">=", 0.3)
FLOOD_TARGET = Target("<", 0.25, " s")
SUBJECT = "kit (+ worker)"
BASELINE = "bare 200"
DRAIN_SECONDS = 600.0
EVENT_TABLE = "wise_webhook_event"


def compare(dep: Deployment) -> list[Result]:
    """Events acknowledged per second, kit over bare 200; then the flood."""
    engine = create_engine(dep.kit.database_url)
    try:
        return [_throughput(dep, engine), _flood(dep, engine)]
    finally:
        engine.dispose()


def _throughput(dep: Deployment, engine: Engine) -> Result:
    plan = dep.plan
    rate = [0.0]
    any_event = dep.events.sign(1)[0]

    def kit_burst(seconds: float, sample: Sample) -> None:
        # Sign enough new events for this burst beforehand, judging by the last one's pace.
        dep.events.top_up(int(max(rate[0], 200.0) * seconds * 1.5) + plan.webhook_senders)

        def deliver(client: Client) -> bool:
            event = dep.events.take()
            if event is None:
                return False
            dep.kit.webhook(client, event)
            return True

        burst = run_for(deliver, seconds, plan.webhook_senders, _measured(dep.kit))
        drain = _drain(dep.kit, engine)
        rate[0] = burst.ops / burst.seconds
        cpu = {**burst.cpu, "worker": burst.cpu["worker"] + drain}
        sample.add(burst.ops, burst.seconds, cpu, burst.latencies, burst.load)

    def baseline_burst(seconds: float, sample: Sample) -> None:
        def deliver(client: Client) -> bool:
            dep.baseline.webhook(client, any_event)
            return True

        burst = run_for(deliver, seconds, plan.webhook_senders, {"server": dep.baseline.server})
        sample.add(burst.ops, burst.seconds, burst.cpu, burst.latencies, burst.load)

    kit_burst(plan.warmup_seconds, Sample())
    baseline_burst(plan.warmup_seconds, Sample())

    def burst(side: Side, sample: Sample) -> None:
        (kit_burst if side is dep.kit else baseline_burst)(plan.burst_seconds, sample)

    runs = [one_run(run, dep.kit, dep.baseline, burst) for run in range(plan.runs)]
    kit_runs, baseline_runs = [k for k, _ in runs], [b for _, b in runs]
    return ratio_result(
        f"webhook events acknowledged/s, {plan.webhook_senders} senders",
        dep.database,
        (SUBJECT, kit_runs),
        (BASELINE, baseline_runs),
        THROUGHPUT_TARGET,
        _parked_note(engine),
    )


def _flood(dep: Deployment, engine: Engine) -> Result:
    plan = dep.plan
    kit_runs, baseline_runs = [], []
    for run in range(plan.runs):
        events = dep.events.sign(plan.flood_events)
        kit_sample, baseline_sample = Sample(), Sample()
        order = [dep.kit, dep.baseline] if run % 2 == 0 else [dep.baseline, dep.kit]
        for side in order:
            if side is dep.kit:
                burst = run_items(dep.kit.webhook, events, plan.flood_senders, _measured(dep.kit))
                drain = _drain(dep.kit, engine)
                cpu = {**burst.cpu, "worker": burst.cpu["worker"] + drain}
                kit_sample.add(burst.ops, burst.seconds, cpu, burst.latencies, burst.load)
            else:
                burst = run_items(
                    dep.baseline.webhook,
                    events,
                    plan.flood_senders,
                    {"server": dep.baseline.server},
                )
                baseline_sample.add(
                    burst.ops, burst.seconds, burst.cpu, burst.latencies, burst.load
                )
        kit_runs.append(kit_sample)
        baseline_runs.append(baseline_sample)
    sides = [Summary.of(SUBJECT, kit_runs), Summary.of(BASELINE, baseline_runs)]
    p99s = [Summary.of(SUBJECT, [s]).p99_ms / 1000 for s in kit_runs]
    return Result(
        f"webhook flood, {plan.flood_events} events from {plan.flood_senders} senders: "
        "kit acknowledgement p99",
        dep.database,
        "p99 seconds",
        p99s,
        FLOOD_TARGET,
        sides,
        [x for s in (*kit_runs, *baseline_runs) for x in s.loads],
        _parked_note(engine),
    )


def _measured(kit: Kit) -> dict[str, Process]:
    assert kit.worker is not None, "the webhook comparisons run the kit's worker"
    return {"server": kit.server, "worker": kit.worker}


def _drain(kit: Kit, engine: Engine) -> float:
    """Wait until the worker applied every stored event; the worker's CPU meanwhile."""
    assert kit.worker is not None
    deadline = time.monotonic() + DRAIN_SECONDS
    with CpuMeter({"worker": kit.worker}) as meter:
        while (pending := count_rows(engine, EVENT_TABLE, status="pending")) > 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kit's worker left {pending} events pending")
            time.sleep(0.1)
    return meter.spent["worker"]


def _parked_note(engine: Engine) -> list[str]:
    total = count_rows(engine, EVENT_TABLE)
    done = count_rows(engine, EVENT_TABLE, status="done")
    return [] if done == total else [f"{total - done} of {total} stored events were not applied"]
