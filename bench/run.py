"""Start the stack and the bench's own processes, run the phases, read RSS, print the table."""

import asyncio
import os
import subprocess
from collections.abc import Callable

import httpx

from bench import phases, procs
from bench.helpers import start_helpers
from bench.result import BenchOptions, BenchResult
from bench.shop import open_shop
from infra.local.processes import stop_process
from infra.local.stack import Stack, StackPorts

Say = Callable[[str], None]


def emulator_requests(stack: Stack) -> int:
    """Requests the AWS emulator served so far (its access log: one line per request)."""
    try:
        with (stack.log_dir / "moto.log").open("rb") as log:
            return sum(1 for line in log if b'] "POST ' in line or b'] "GET ' in line)
    except OSError:
        return 0


def process_groups(
    stack: Stack, helpers: dict[str, subprocess.Popen[bytes]]
) -> dict[str, list[int]]:
    """Every process of the stack by name (and the bench's own), for RSS and CPU figures."""
    groups = {name: [p.pid] for name, p in stack.processes.items()}
    if stack.moto.process is not None:
        groups["moto (AWS emulator)"] = [stack.moto.process.pid]
    found = {name: procs.pids_in_groups(pgids) for name, pgids in groups.items()}
    postmaster = procs.postmaster_pid(stack.postgres.data_dir)
    if postmaster is not None:
        found["postgres"] = [postmaster, *procs.children_of(postmaster)]
    for name, process in helpers.items():
        found[f"{name} (bench)"] = procs.pids_in_groups([process.pid])
    found["load generator (bench)"] = [os.getpid()]
    return found


def cpu_snapshot(stack: Stack, helpers: dict[str, subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU seconds so far of every process group, and of the whole machine (other sessions'
    processes included: on a shared machine they take cores from the bench)."""
    groups = process_groups(stack, helpers)
    snapshot = {name: procs.cpu_seconds(pids) for name, pids in groups.items()}
    snapshot[procs.MACHINE] = procs.machine_busy_seconds()
    return snapshot


def peak_rss(
    stack: Stack, helpers: dict[str, subprocess.Popen[bytes]]
) -> list[tuple[str, procs.Rss]]:
    groups = process_groups(stack, helpers)
    rows = [(n, procs.rss_of(pids)) for n, pids in groups.items() if "(bench)" not in n]
    total = procs.Rss(
        processes=sum(r.processes for _, r in rows),
        peak_kb=sum(r.peak_kb for _, r in rows),
        current_kb=sum(r.current_kb for _, r in rows),
    )
    rows.append(("whole stack (sum)", total))
    rows += [(f"{n}, not in the sum", procs.rss_of(p)) for n, p in groups.items() if "(bench)" in n]
    return rows


async def _phases(
    stack: Stack,
    targets: list[phases.Target],
    options: BenchOptions,
    result: BenchResult,
    snapshot: phases.Snapshot,
    say: Say,
) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as api:
        shop = await open_shop(api, customers=max(16, options.api.concurrency))
    if not options.skip_pipeline:
        say(f"queue floor: {options.orders} orders x 7 messages at {options.rate:g}/s...")
        before, calls = snapshot(), emulator_requests(stack)
        floor = await phases.floor_phase(
            stack, options.orders, options.rate, options.queue_wait_seconds
        )
        result.cpu["queue floor"] = (procs.cpu_delta(before, snapshot()), floor.seconds)
        result.emulator_requests["queue floor"] = emulator_requests(stack) - calls
        say(f"pipeline: {options.orders} orders at {options.rate:g}/s...")
        before, calls = snapshot(), emulator_requests(stack)
        flow, _ = await phases.pipeline_phase(
            stack, shop, options.orders, options.rate, options.pipeline_timeout, options.profile_dir
        )
        result.cpu["pipeline"] = (procs.cpu_delta(before, snapshot()), flow.seconds)
        result.emulator_requests["pipeline"] = emulator_requests(stack) - calls
        result.flows = (flow, floor)
    if not options.skip_api:
        say(f"API: {len(targets)} targets x {options.api.rounds} rounds...")
        result.api, result.api_cpu = await phases.api_phase(
            targets, shop, stack, options.api, options.profile_dir, snapshot
        )


def _started_stack(options: BenchOptions, attempts: int = 3) -> Stack:
    """A stack on free ports; retried, since another process may take a port we were given."""
    for attempt in range(1, attempts + 1):
        stack = Stack(
            StackPorts.free(),
            options.log_dir,
            extra_env={"QUEUE_WAIT_SECONDS": str(options.queue_wait_seconds)},
            simulator_args=("--auto-approve-after", f"{options.approve_after_seconds:g}"),
        )
        try:
            stack.start()
            return stack
        except (RuntimeError, TimeoutError):
            stack.stop()
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def run_bench(options: BenchOptions, say: Say = print) -> BenchResult:
    say(f"starting the stack (logs in {options.log_dir})...")
    stack = _started_stack(options)
    helpers: dict[str, subprocess.Popen[bytes]] = {}
    result = BenchResult()
    try:
        helpers, gateway_url, ceiling_url = start_helpers(stack, options.log_dir)
        targets = phases.api_targets(
            gateway_url, stack.service_url("order"), ceiling_url, options.api.direct
        )
        asyncio.run(
            _phases(stack, targets, options, result, lambda: cpu_snapshot(stack, helpers), say)
        )
        result.rss = peak_rss(stack, helpers)
    finally:
        for process in helpers.values():
            stop_process(process)
        stack.stop()
    return result
