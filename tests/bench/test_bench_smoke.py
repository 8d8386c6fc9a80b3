"""The bench's pure parts (percentiles, figures, tables, profile summaries), without the stack."""

import math
import os
from datetime import UTC, datetime, timedelta

import pytest

from bench.__main__ import parse
from bench.figures import floor_figures, pipeline_figures
from bench.load import LoadResult
from bench.pipeline import OrderTimes
from bench.procs import MACHINE, Rss, cpu_delta, pids_in_groups, rss_of
from bench.profiling import render_summary, summarise
from bench.report import api_table, cpu_table, flow_table, per_order_table, render_table, rss_table
from bench.stats import Latency, percentile, ratio


def test_percentiles_interpolate_between_closest_ranks_like_numpy() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 100) == 4.0
    assert percentile(values, 99) == pytest.approx(3.97)
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_latency_summary_and_ratio_of_missing_figures() -> None:
    summary = Latency.of([float(i) for i in range(1, 101)])
    assert (summary.count, summary.p50, summary.max) == (100, 50.5, 100.0)
    assert summary.p99 == pytest.approx(99.01)
    assert math.isnan(ratio(1.0, 0.0))
    assert ratio(3.0, 6.0) == 0.5


def test_pipeline_figures_come_from_the_order_timestamps() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    times = {
        "a": OrderTimes(
            t0, t0 + timedelta(seconds=1), t0 + timedelta(seconds=2), t0 + timedelta(seconds=3)
        ),
        "b": OrderTimes(t0 + timedelta(seconds=1), None, None, None),
    }
    figures = pipeline_figures(times, expected=2)
    assert (figures.completed, figures.seconds) == (1, 3.0)
    assert figures.to_paid.p50 == 1.0 and figures.to_ticket.count == 1
    assert figures.throughput == pytest.approx(1 / 3)


def test_floor_figures_time_each_order_from_its_injection() -> None:
    injected = {"a": 10.0, "b": 11.0}
    milestones = {
        "a": {"payment-approved": 10.5, "order-paid": 10.7, "production-delivered": 11.0},
        "b": {"payment-approved": 11.2},
    }
    figures = floor_figures(injected, milestones, expected=2)
    assert figures.completed == 1 and figures.seconds == 1.0
    assert figures.to_paid.count == 2 and figures.to_done.p50 == 1.0


def test_tables_render_aligned_markdown_with_ratio_rows() -> None:
    table = render_table(["name", "n"], [["a", "1"], ["longer", "22"]])
    lines = table.splitlines()
    assert lines[0] == "| name   |  n |"
    assert lines[1] == "|--------|---:|"
    assert len({len(line) for line in lines}) == 1
    order = LoadResult("POST /order via gateway", 2.0, [0.01] * 100)
    ceiling = LoadResult("ceiling via gateway", 1.0, [0.005] * 100)
    assert "| ratio order / ceiling, via gateway |" in api_table([order, ceiling])
    assert "0.50" in api_table([order, ceiling])
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    flow = pipeline_figures({"a": OrderTimes(t0, t0, t0, t0 + timedelta(seconds=4))}, 1)
    floor = floor_figures({"a": 0.0}, {"a": {"production-delivered": 2.0}}, 1)
    assert "ratio pipeline / floor time" in flow_table(flow, floor)
    assert "2.00" in flow_table(flow, floor)
    assert "1.5" in rss_table([("order-api", Rss(1, 1536, 1024))])


def test_load_results_merge_rounds_and_count_errors() -> None:
    first = LoadResult("x", 1.0, [0.1, 0.2])
    first.statuses.update({"201": 2, "500": 1})
    second = LoadResult("x", 1.0, [0.3])
    second.statuses["201"] += 1
    merged = first.merge(second)
    assert (merged.ok, merged.errors, merged.throughput) == (3, 1, 1.5)


def test_profile_summary_counts_leaf_packages_and_inclusive_functions() -> None:
    lines = [
        "run (asyncio/runners.py:1);handle (order/api.py:10);execute (sqlalchemy/engine.py:5) 3",
        "run (asyncio/runners.py:1);handle (order/api.py:10);dumps (json/__init__.py:2) 1",
        "garbage line",
    ]
    summary = summarise(lines)
    assert summary.samples == 4
    assert summary.by_package[0] == ("sqlalchemy", 75.0)
    assert ("handle (order/api.py)", 100.0) in summary.by_function
    assert "4 on-CPU samples" in render_summary("order-api", summary)


def test_rss_is_read_from_proc_for_a_process_group() -> None:
    mine = rss_of(pids_in_groups([os.getpgid(0)]))
    assert mine.processes >= 1 and mine.peak_kb >= mine.current_kb > 0


def test_cli_defaults_match_the_documented_run() -> None:
    options, output = parse([])
    assert (options.orders, options.rate, options.api.concurrency) == (300, 10.0, 16)
    assert options.api.pause_workers and options.api.direct and output is None


def test_cpu_tables_fold_small_groups_and_show_the_load_of_other_processes() -> None:
    before = {"order-api": 1.0, "gateway": 0.0, "tiny": 0.0, MACHINE: 10.0}
    after = {"order-api": 3.0, "gateway": 1.0, "tiny": 0.001, MACHINE: 15.0}
    used = cpu_delta(before, after)
    table = cpu_table("process", [("POST /order", used, 2.0)])
    assert "| order-api " in table and "tiny" not in table
    assert "| total (bench and stack)" in table and "1.50" in table
    assert "| not ours: other processes on the machine" in table  # 5 - 3.001 over 2 requests


def test_work_per_order_counts_the_floor_clients_but_not_the_pipeline_load_generator() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    flow = pipeline_figures({"a": OrderTimes(t0, t0, t0, t0 + timedelta(seconds=1))}, 1)
    floor = floor_figures({"a": 0.0}, {"a": {"production-delivered": 1.0}}, 1)
    cpu = {
        "pipeline": ({"order-worker": 0.2, "load generator (bench)": 5.0}, 1.0),
        "queue floor": ({"moto (AWS emulator)": 0.05, "load generator (bench)": 0.03}, 1.0),
    }
    table = per_order_table([flow, floor], cpu, {"pipeline": 20, "queue floor": 14})
    assert "| pipeline  " in table and "200" in table and "20.0" in table
    assert "80" in table and "14.0" in table
