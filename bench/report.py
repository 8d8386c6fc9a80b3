"""Plain-text tables for the terminal and for docs/performance.md (pure, unit-tested)."""

import math
from collections.abc import Sequence

from bench.figures import FlowFigures
from bench.load import LoadResult
from bench.procs import MACHINE, Rss
from bench.stats import Latency, ratio


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown-compatible table with aligned columns (first column left, others right)."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def ms(seconds: float) -> str:
    return fmt(seconds * 1000, 0 if seconds >= 1 else 1)


def spread(latency: Latency) -> str:
    return " / ".join(ms(v) for v in (latency.p50, latency.p95, latency.p99))


def api_table(results: Sequence[LoadResult]) -> str:
    """`results` come in pairs (order, ceiling); each pair gets its ratio row."""
    rows = []
    for order, ceiling in zip(results[::2], results[1::2], strict=True):
        for r in (order, ceiling):
            rows.append(
                [
                    r.name,
                    str(r.ok),
                    fmt(r.throughput),
                    ms(r.latency.p50),
                    ms(r.latency.p99),
                    str(r.errors),
                ]
            )
        label = order.name.replace("POST /order ", "")
        rows.append(
            [
                f"ratio order / ceiling, {label}",
                "",
                fmt(ratio(order.throughput, ceiling.throughput), 2),
                "",
                "",
                "",
            ]
        )
    return render_table(["API", "requests", "req/s", "p50 ms", "p99 ms", "errors"], rows)


def flow_table(pipeline: FlowFigures, floor: FlowFigures) -> str:
    rows = [
        [
            f.name,
            f"{f.completed}/{f.expected}",
            fmt(f.seconds),
            fmt(f.throughput, 2),
            spread(f.to_paid),
            spread(f.to_ticket),
            spread(f.to_done),
        ]
        for f in (pipeline, floor)
    ]
    rows.append(
        [
            "ratio pipeline / floor time (goal <= 2)",
            "",
            fmt(ratio(pipeline.seconds, floor.seconds), 2),
            "",
            "",
            "",
            "",
        ]
    )
    return render_table(
        [
            "Flow",
            "done",
            "total s",
            "orders/s",
            "-> PAID p50/p95/p99 ms",
            "-> ticket p50/p95/p99 ms",
            "-> DELIVERED p50/p95/p99 ms",
        ],
        rows,
    )


def per_order_table(
    flows: Sequence[FlowFigures],
    cpu: dict[str, tuple[dict[str, float], float]],
    emulator_requests: dict[str, int],
) -> str:
    """Work per completed order: robust to a busy machine, unlike the times above."""
    rows = []
    for flow in flows:
        used, _ = cpu.get(flow.name, ({}, 0.0))
        # The floor's publisher and consumers run in the bench's own process; the pipeline's
        # load generator (HTTP clients, kitchen bot) is not part of the system measured.
        client = flow.name == "queue floor"
        own = sum(
            v for n, v in used.items() if n != MACHINE and (client or "load generator" not in n)
        )
        done = flow.completed or 1
        calls = emulator_requests.get(flow.name)
        rows.append(
            [flow.name, fmt(own * 1000 / done, 0), "n/a" if calls is None else fmt(calls / done, 1)]
        )
    return render_table(
        ["Work per order", "CPU ms (stack, emulator, pg)", "AWS emulator requests"], rows
    )


def rss_table(groups: Sequence[tuple[str, Rss]]) -> str:
    mib = 1024.0
    rows = [
        [name, str(r.processes), fmt(r.peak_kb / mib), fmt(r.current_kb / mib)]
        for name, r in groups
    ]
    return render_table(["Process (group)", "processes", "peak RSS MiB", "RSS now MiB"], rows)


def cpu_table(
    first_header: str,
    columns: Sequence[tuple[str, dict[str, float], float]],
    min_share: float = 0.02,
) -> str:
    """CPU by process group; each column is (header, CPU seconds by group, divisor). Groups
    under `min_share` of every column's total fold into "others"; `MACHINE` (if present) gives
    the CPU that processes outside the bench took meanwhile."""
    own = [{n: v for n, v in data.items() if n != MACHINE} for _, data, _ in columns]
    names = sorted(
        {n for data in own for n, v in data.items() if v >= min_share * sum(data.values())},
        key=lambda n: (
            -max(d.get(n, 0.0) / div for d, (_, _, div) in zip(own, columns, strict=True))
        ),
    )
    divisors = [div for _, _, div in columns]
    rows = [
        [n, *(fmt(d.get(n, 0.0) / div, 2) for d, div in zip(own, divisors, strict=True))]
        for n in names
    ]
    rows.append(
        [
            "others",
            *(
                fmt(sum(v for n, v in d.items() if n not in names) / div, 2)
                for d, div in zip(own, divisors, strict=True)
            ),
        ]
    )
    rows.append(
        [
            "total (bench and stack)",
            *(fmt(sum(d.values()) / div, 2) for d, div in zip(own, divisors, strict=True)),
        ]
    )
    if all(MACHINE in data for _, data, _ in columns):
        rows.append(
            [
                "not ours: other processes on the machine",
                *(
                    fmt(max(0.0, data[MACHINE] - sum(d.values())) / div, 2)
                    for d, (_, data, div) in zip(own, columns, strict=True)
                ),
            ]
        )
    return render_table([first_header, *(header for header, _, _ in columns)], rows)
