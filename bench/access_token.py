"""Token brokering: access tokens handed out per second, against a bare one-row read.

Kit: ``POST /api/v1/customers/<id>/wise-link/access-token`` for a customer linked through the real
flow a moment before, so the token is fresh (API key check, link read, decryption, answer).
Baseline: ``GET /customers/<id>/wise-token`` on the baseline app, one row by primary key from the
same database (the token the Authlib app stored for its own linked customer). Time-boxed bursts
from 32 callers, ABBA within a run.
"""

from __future__ import annotations

from collections.abc import Callable

from bench._http import Client
from bench._load import run_for
from bench._report import Result, Sample, Target, ratio_result
from bench._stack import Deployment, Side, link, one_run

TARGET = Target(">=", 0.6)
SUBJECT = "kit"
BASELINE = "bare row read"
CUSTOMER = "bench-token-customer"


def compare(dep: Deployment) -> list[Result]:
    """Access tokens per second, kit over the bare read."""
    plan = dep.plan
    sides: tuple[Side, Side] = (dep.kit, dep.baseline)
    for side in sides:
        link(side, dep.wise, CUSTOMER)
        _burst(side, plan.warmup_seconds, plan.token_callers, Sample())

    def burst(side: Side, sample: Sample) -> None:
        _burst(side, plan.burst_seconds, plan.token_callers, sample)

    runs = [one_run(run, dep.kit, dep.baseline, burst) for run in range(plan.runs)]
    kit_runs, baseline_runs = [k for k, _ in runs], [b for _, b in runs]
    return [
        ratio_result(
            f"access tokens/s, {plan.token_callers} callers",
            dep.database,
            (SUBJECT, kit_runs),
            (BASELINE, baseline_runs),
            TARGET,
        )
    ]


def _burst(side: Side, seconds: float, callers: int, sample: Sample) -> None:
    burst = run_for(_call(side), seconds, callers, {"server": side.server})
    sample.add(burst.ops, burst.seconds, burst.cpu, burst.latencies, burst.load)


def _call(side: Side) -> Callable[[Client], bool]:
    def call(client: Client) -> bool:
        side.token(client, CUSTOMER)
        return True

    return call
