"""Journeys per second: the kit against a partner's own Authlib app.

Kit: create a session through the partner API and follow its launch link, then the OAuth return
(state claim, code exchange, profile read, identity check, encrypted storage). Baseline: the
Authlib app's ``POST /wise/start``, then its return (state from the session cookie, the same two
Wise calls, the date-of-birth check, one row). Between the two legs every customer consents at
the emulator: that step is Wise's, identical for both, and neither timed nor counted as server
CPU. A journey's latency is its two legs together; journeys/s is the journeys over the time both
legs took. Bursts of 6 journeys per sender alternate between the sides, ABBA within a run.
"""

from __future__ import annotations

import uuid

from bench._http import Client
from bench._load import run_items
from bench._report import Result, Sample, Target, ratio_result
from bench._stack import Deployment, Pending, Side, one_run

# Issue 14, section 2: at 8 and 32 concurrent journeys. One at a time is shown for its latency.
TARGETS = {8: Target(">=", 0.6), 32: Target(">=", 0.6)}
SUBJECT = "kit"
BASELINE = "Authlib app"


def compare(dep: Deployment) -> list[Result]:
    """Journeys/s of the kit over the Authlib app at each concurrency, per run."""
    results = []
    for senders in dep.plan.journey_concurrency:
        count = senders * dep.plan.journeys_per_sender
        sides: tuple[Side, Side] = (dep.kit, dep.baseline)
        for side in sides:
            journeys(dep, side, senders, senders, Sample())  # warm-up, not counted

        def burst(side: Side, sample: Sample, senders: int = senders, count: int = count) -> None:
            journeys(dep, side, senders, count, sample)

        runs = [one_run(run, dep.kit, dep.baseline, burst) for run in range(dep.plan.runs)]
        kit_runs, baseline_runs = [k for k, _ in runs], [b for _, b in runs]
        results.append(
            ratio_result(
                f"journeys/s, {senders} concurrent",
                dep.database,
                (SUBJECT, kit_runs),
                (BASELINE, baseline_runs),
                TARGETS.get(senders),
            )
        )
    return results


def journeys(dep: Deployment, side: Side, senders: int, count: int, sample: Sample) -> None:
    """Run ``count`` journeys from ``senders`` threads and add them to ``sample``."""
    tag = uuid.uuid4().hex[:10]
    customers = [f"bench-{tag}-{i}" for i in range(count)]
    measure = {"server": side.server, "Wise": dep.wise.process}
    begun = run_items(side.begin, customers, senders, measure)
    consented = run_items(dep.wise.consent, begun.results, senders)

    def finish(client: Client, item: tuple[Pending, dict[str, str]]) -> None:
        side.finish(client, *item)

    returned = run_items(
        finish, list(zip(begun.results, consented.results, strict=True)), senders, measure
    )
    cpu = {name: begun.cpu[name] + returned.cpu[name] for name in measure}
    latencies = [a + b for a, b in zip(begun.latencies, returned.latencies, strict=True)]
    sample.add(count, begun.seconds + returned.seconds, cpu, latencies, begun.load)
