"""From raw timings to the figures the report shows (pure, unit-tested)."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bench.stats import Latency, per_second


@dataclass(frozen=True)
class FlowFigures:
    """One order flow, real or floor: completion and latencies from the order's start."""

    name: str
    expected: int
    completed: int
    seconds: float  # first order started -> last order done
    to_paid: Latency
    to_ticket: Latency
    to_done: Latency

    @property
    def throughput(self) -> float:
        return per_second(self.completed, self.seconds)


class Timed(Protocol):
    created: datetime
    paid: datetime | None
    ticket: datetime | None
    delivered: datetime | None


def _since(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end is not None else None


def _present(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None]


def pipeline_figures(times: Mapping[str, Timed], expected: int) -> FlowFigures:
    done = [t.delivered for t in times.values() if t.delivered is not None]
    starts = [t.created for t in times.values()]
    seconds = (max(done) - min(starts)).total_seconds() if done and starts else math.nan
    return FlowFigures(
        name="pipeline",
        expected=expected,
        completed=len(done),
        seconds=seconds,
        to_paid=Latency.of(_present(_since(t.created, t.paid) for t in times.values())),
        to_ticket=Latency.of(_present(_since(t.created, t.ticket) for t in times.values())),
        to_done=Latency.of(_present(_since(t.created, t.delivered) for t in times.values())),
    )


def floor_figures(
    injected: Mapping[str, float], milestones: Mapping[str, Mapping[str, float]], expected: int
) -> FlowFigures:
    """Floor analogues: PAID = the order queue took payment-approved; ticket = production
    took order-paid; done = the order queue took production-delivered."""

    def latencies(event: str) -> list[float]:
        return [
            milestones[o][event] - start
            for o, start in injected.items()
            if event in milestones.get(o, {})
        ]

    done = [m["production-delivered"] for m in milestones.values() if "production-delivered" in m]
    seconds = max(done) - min(injected.values()) if done and injected else math.nan
    return FlowFigures(
        name="queue floor",
        expected=expected,
        completed=len(done),
        seconds=seconds,
        to_paid=Latency.of(latencies("payment-approved")),
        to_ticket=Latency.of(latencies("order-paid")),
        to_done=Latency.of(latencies("production-delivered")),
    )
