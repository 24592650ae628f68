"""How much each comparison measures: the full plan (``make bench``), a quick one to develop."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Sizes of every comparison; the full plan follows issue 14."""

    runs: int
    # Journeys per burst = senders x this, so every sender works through several journeys.
    journeys_per_sender: int
    # Time-boxed bursts (webhooks, access tokens), each side, twice per run.
    burst_seconds: float
    flood_events: int
    scale_rows: tuple[int, int]
    scale_journeys: int
    journey_concurrency: tuple[int, ...] = (1, 8, 32)
    webhook_senders: int = 8
    token_callers: int = 32
    flood_senders: int = 16
    # Unmeasured work before each comparison, so both sides start warm.
    warmup_seconds: float = 0.5


FULL = Plan(
    runs=3,
    journeys_per_sender=6,
    burst_seconds=2.0,
    flood_events=2000,
    scale_rows=(1_000, 1_000_000),
    scale_journeys=30,
)
QUICK = Plan(
    runs=1,
    journeys_per_sender=2,
    burst_seconds=0.5,
    flood_events=300,
    scale_rows=(1_000, 20_000),
    scale_journeys=8,
)
