"""What a comparison reports: samples per side and run, the measured value per run, its target.

A ``Result`` holds one value per run (a ratio, or a latency), so the report can give the min,
median and max over the runs and judge the median against the target of issue 14, section 2.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench._load import percentile


@dataclass
class Sample:
    """One side in one run: operations, wall seconds, CPU seconds per process, latencies."""

    ops: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)

    def add(
        self,
        ops: int,
        seconds: float,
        cpu: dict[str, float],
        latencies: Sequence[float],
        load: float,
    ) -> None:
        """Fold one burst into the sample."""
        self.ops += ops
        self.seconds += seconds
        for name, spent in cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + spent
        self.latencies.extend(latencies)
        self.loads.append(load)

    @property
    def rate(self) -> float:
        """Operations per second of wall time."""
        return self.ops / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Target:
    """The goal for the median of the runs: ``value op target``."""

    op: str
    value: float
    unit: str = ""

    def met(self, measured: float) -> bool:
        """Whether ``measured`` meets the target."""
        return {
            ">=": measured >= self.value,
            "<=": measured <= self.value,
            "<": measured < self.value,
        }[self.op]

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}{self.unit}"


@dataclass(frozen=True)
class Summary:
    """One side of a result, summed over all runs."""

    label: str
    rates: list[float]
    ops: int
    cpu_ms_per_op: dict[str, float]
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, label: str, runs: Sequence[Sample]) -> Summary:
        """Summarise a side's samples: per-run rates, CPU per operation, pooled latencies."""
        ops = sum(s.ops for s in runs)
        names = sorted({name for s in runs for name in s.cpu})
        cpu = {n: 1000 * sum(s.cpu.get(n, 0.0) for s in runs) / max(ops, 1) for n in names}
        latencies = [x for s in runs for x in s.latencies]
        return cls(
            label,
            [s.rate for s in runs],
            ops,
            cpu,
            1000 * percentile(latencies, 50),
            1000 * percentile(latencies, 99),
            1000 * max(latencies, default=0.0),
        )

    def line(self, width: int) -> str:
        """``label  rate  CPU per process  latencies`` for the terminal."""
        rate = f"{statistics.median(self.rates):7.1f}/s" if any(self.rates) else ""
        names = sorted(self.cpu_ms_per_op, key=lambda name: (name != "server", name))
        cpu = "".join(
            f"{'CPU' if name == 'server' else name} {self.cpu_ms_per_op[name]:5.1f} ms/op   "
            for name in names
        )
        return (
            f"    {self.label:<{width}}{rate:>9}   {cpu}"
            f"p50 {self.p50_ms:6.1f} ms   p99 {self.p99_ms:6.1f} ms   max {self.max_ms:6.1f} ms"
        )


@dataclass(frozen=True)
class Result:
    """One comparison on one database: a value per run, judged by its median."""

    name: str
    database: str
    measure: str
    values: list[float]
    target: Target | None
    sides: list[Summary]
    loads: list[float]
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median over the runs."""
        return statistics.median(self.values)

    @property
    def verdict(self) -> str:
        """PASS or FAIL against the target; "info" without one."""
        if self.target is None:
            return "info"
        return "PASS" if self.target.met(self.median) else "FAIL"

    def lines(self) -> list[str]:
        """The result as printed: the headline, the verdict, one line per side, the load, notes."""
        values = (
            f"min {min(self.values):.2f}   median {self.median:.2f}   max {max(self.values):.2f}"
            if len(self.values) > 1
            else f"{self.median:.2f} (one run)"
        )
        target = f"target {self.target}" if self.target else "no target"
        width = max(len(side.label) for side in self.sides) + 2
        return [
            f"  {self.name}",
            f"    {self.measure}: {values}   {target}   {self.verdict}",
            *(side.line(width) for side in self.sides),
            f"    load average {min(self.loads):.2f}-{max(self.loads):.2f}",
            *(f"    {note}" for note in self.notes),
        ]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready view, with the verdict."""
        return {
            "name": self.name,
            "database": self.database,
            "measure": self.measure,
            "values": self.values,
            "median": self.median,
            "target": str(self.target) if self.target else None,
            "verdict": self.verdict,
            "sides": [side.__dict__ for side in self.sides],
            "load_average": {"min": min(self.loads), "max": max(self.loads)},
            "notes": self.notes,
        }


def ratio_result(
    name: str,
    database: str,
    subject: tuple[str, Sequence[Sample]],
    baseline: tuple[str, Sequence[Sample]],
    target: Target | None,
    notes: Sequence[str] = (),
) -> Result:
    """A throughput ratio per run: subject ops/s over baseline ops/s."""
    ratios = [s.rate / b.rate for s, b in zip(subject[1], baseline[1], strict=True)]
    loads = [x for s in (*subject[1], *baseline[1]) for x in s.loads]
    return Result(
        f"{name}: {subject[0]} / {baseline[0]}",
        database,
        "ratio",
        ratios,
        target,
        [Summary.of(*subject), Summary.of(*baseline)],
        loads,
        list(notes),
    )
