"""What one bench run measured, and the text it prints."""

from dataclasses import dataclass, field
from pathlib import Path

from bench import procs
from bench.figures import FlowFigures
from bench.load import LoadResult
from bench.phases import ApiOptions
from bench.report import api_table, cpu_table, flow_table, per_order_table, rss_table


@dataclass(frozen=True)
class BenchOptions:
    orders: int
    rate: float
    api: ApiOptions
    pipeline_timeout: float
    queue_wait_seconds: int
    log_dir: Path
    profile_dir: Path | None
    approve_after_seconds: float = 0.5
    skip_api: bool = False
    skip_pipeline: bool = False


@dataclass
class BenchResult:
    api: list[LoadResult] | None = None
    api_cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    flows: tuple[FlowFigures, FlowFigures] | None = None
    cpu: dict[str, tuple[dict[str, float], float]] = field(default_factory=dict)  # (cpu, wall)
    emulator_requests: dict[str, int] = field(default_factory=dict)
    rss: list[tuple[str, procs.Rss]] | None = None

    def render(self, options: BenchOptions) -> str:
        sections = []
        if self.api:
            a = options.api
            sections.append(
                f"API: concurrency {a.concurrency}, {a.rounds} alternating rounds of "
                f"{a.requests} requests per target (warm-up of {a.warmup} per round excluded), "
                f"workers {'paused' if a.pause_workers else 'running'}\n\n"
                + api_table(self.api)
                + "\n\nCPU ms per request, by process\n\n"
                + cpu_table(
                    "process",
                    [(r.name, self.api_cpu[r.name], r.ok / 1000) for r in self.api if r.ok],
                )
            )
        if self.flows:
            sections.append(
                f"Pipeline: {options.orders} orders at {options.rate:g}/s, 7 SQS messages each, "
                f"long poll {options.queue_wait_seconds} s\n\n"
                + flow_table(*self.flows)
                + "\n\n"
                + per_order_table(self.flows, self.cpu, self.emulator_requests)
                + "\n\nCPU cores busy during each flow (CPU seconds / wall seconds), by process\n\n"
                + cpu_table("process", [(n, c, wall) for n, (c, wall) in self.cpu.items()])
            )
        if self.rss:
            sections.append("Peak RSS (VmHWM per process group)\n\n" + rss_table(self.rss))
        return "\n\n".join(sections)
