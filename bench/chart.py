"""The bench's table as a PNG, for a person to look at next to the text report.

One panel per measured section: the API's latency distribution per target (p50 / p95 / p99,
and the order API's throughput as a share of its bare ceiling), the pipeline's latencies
against the SQS floor, and peak RSS. matplotlib's object API with the Agg canvas: no
display, no global pyplot state.
"""

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bench.figures import FlowFigures
from bench.load import LoadResult
from bench.procs import Rss
from bench.stats import Latency, ratio

PERCENTILES = ("p50", "p95", "p99")


def _grouped_bars(axes: Axes, labels: Sequence[str], series: Mapping[str, Sequence[float]]) -> None:
    """Bars per label, one colour per series; NaN (nothing measured) draws no bar."""
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        offsets = [i + (index - (len(series) - 1) / 2) * width for i in range(len(labels))]
        axes.bar(offsets, values, width, label=name)
    axes.set_xticks(range(len(labels)), labels, fontsize=8)
    axes.legend(fontsize=8)


def _ms(latency: Latency) -> list[float]:
    return [getattr(latency, p) * 1000 for p in PERCENTILES]


def _api_panel(axes: Axes, results: Sequence[LoadResult]) -> None:
    labels = [r.name.replace(" ", "\n", 1) for r in results]
    by_target = [_ms(r.latency) for r in results]
    series = {p: [row[i] for row in by_target] for i, p in enumerate(PERCENTILES)}
    _grouped_bars(axes, labels, series)
    shares = [
        f"{order.name}: {ratio(order.throughput, ceiling.throughput):.0%} of the ceiling"
        for order, ceiling in zip(results[::2], results[1::2], strict=True)
    ]
    axes.set_title("API latency per target (ms)\n" + "; ".join(shares), fontsize=9)
    axes.set_ylabel("ms")


def _flow_panel(axes: Axes, flows: tuple[FlowFigures, FlowFigures]) -> None:
    stages = ("to_paid", "to_ticket", "to_done")
    labels = [f"{flow.name}\n{stage.removeprefix('to_')}" for flow in flows for stage in stages]
    rows = [_ms(getattr(flow, stage)) for flow in flows for stage in stages]
    series = {p: [row[i] for row in rows] for i, p in enumerate(PERCENTILES)}
    _grouped_bars(axes, labels, series)
    pipeline, floor = flows
    share = ratio(pipeline.throughput, floor.throughput)
    axes.set_title(f"Pipeline latency from order start (ms); {share:.0%} of the floor", fontsize=9)
    axes.set_ylabel("ms")


def _rss_panel(axes: Axes, rss: Sequence[tuple[str, Rss]]) -> None:
    axes.barh([name for name, _ in rss], [r.peak_kb / 1024 for _, r in rss])
    axes.set_title("Peak RSS per process group (MiB)", fontsize=9)
    axes.tick_params(labelsize=8)


def write_chart(
    path: Path,
    *,
    api: Sequence[LoadResult] | None = None,
    flows: tuple[FlowFigures, FlowFigures] | None = None,
    rss: Sequence[tuple[str, Rss]] | None = None,
) -> Path | None:
    """Draw what was measured into `path` (PNG); None when nothing was."""
    panels: list[Callable[[Axes], None]] = []
    if api:
        panels.append(partial(_api_panel, results=api))
    if flows:
        panels.append(partial(_flow_panel, flows=flows))
    if rss:
        panels.append(partial(_rss_panel, rss=rss))
    if not panels:
        return None
    figure = Figure(figsize=(10, 4 * len(panels)), layout="constrained")
    grid = figure.subplots(len(panels), 1, squeeze=False)
    for row, draw in enumerate(panels):
        draw(grid[row, 0])
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=100)
    return path
