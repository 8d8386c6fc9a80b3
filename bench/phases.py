"""The three measured phases, each against a running stack."""

import asyncio
import itertools
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench import pipeline, procs, profiling
from bench.figures import FlowFigures, floor_figures, pipeline_figures
from bench.floor import run_floor
from bench.load import LoadResult, SendRequest, closed_loop
from bench.shop import Shop
from infra.local.stack import WORKERS, Stack

Snapshot = Callable[[], dict[str, float]]


@dataclass(frozen=True)
class ApiOptions:
    concurrency: int
    requests: int
    warmup: int
    rounds: int
    pause_workers: bool = True
    direct: bool = True  # also measure both apps without the gateway


@dataclass(frozen=True)
class Target:
    label: str
    base_url: str
    path: str  # "/order" (needs a customer token) or "/ceiling/order"


def api_targets(gateway_url: str, order_url: str, ceiling_url: str, direct: bool) -> list[Target]:
    """Pairs (order, ceiling): through the gateway, and optionally straight to each app."""
    targets = [
        Target("POST /order via gateway", gateway_url, "/order"),
        Target("ceiling via gateway", gateway_url, "/ceiling/order"),
    ]
    if direct:
        targets += [
            Target("POST /order direct", order_url, "/order"),
            Target("ceiling direct", ceiling_url, "/ceiling/order"),
        ]
    return targets


async def api_phase(
    targets: list[Target],
    shop: Shop,
    stack: Stack,
    options: ApiOptions,
    profile_dir: Path | None,
    snapshot: Snapshot,
) -> tuple[list[LoadResult], dict[str, dict[str, float]]]:
    """Every target in turn, `rounds` times (alternating), same size, warm-up excluded;
    also the CPU seconds each process spent during each target's measured requests."""
    counter = itertools.count()
    limits = httpx.Limits(
        max_connections=options.concurrency, max_keepalive_connections=options.concurrency
    )
    workers = [stack.processes[f"{w}-worker"].pid for w in WORKERS]
    totals = {t.label: LoadResult(t.label) for t in targets}
    cpu: dict[str, dict[str, float]] = {t.label: {} for t in targets}
    async with AsyncExitStack() as clients:
        opened = {
            url: await clients.enter_async_context(
                httpx.AsyncClient(base_url=url, timeout=30, limits=limits)
            )
            for url in {t.base_url for t in targets}
        }

        def sender(target: Target) -> SendRequest:
            client = opened[target.base_url]

            async def send(_: int) -> httpx.Response:
                i = next(counter)
                # The ceiling ignores the token, but the gateway checks it (as API Gateway's
                # JWT authorizer does on every non-public route): both pay the same hop.
                headers = shop.customer(i)
                return await client.post(target.path, json=shop.order_body(i), headers=headers)

            return send

        if options.pause_workers:  # the workers would drain the orders we create meanwhile
            procs.signal_groups(workers, signal.SIGSTOP)
        try:
            for _ in range(options.rounds):
                for target in targets:
                    send, label = sender(target), target.label
                    await closed_loop(
                        "warm-up", send, concurrency=options.concurrency, requests=options.warmup
                    )
                    before = snapshot()
                    result = await closed_loop(
                        label, send, concurrency=options.concurrency, requests=options.requests
                    )
                    used = procs.cpu_delta(before, snapshot())
                    cpu[label] = {n: cpu[label].get(n, 0.0) + v for n, v in used.items()}
                    totals[label] = totals[label].merge(result)
            if profile_dir is not None:  # an extra, unmeasured round under the profiler
                await _profiled(
                    {
                        profile_dir / f"{name}.txt": stack.processes[name].pid
                        for name in ("order-api", "catalog-api")
                    },
                    closed_loop(
                        "profiled",
                        sender(targets[0]),
                        concurrency=options.concurrency,
                        requests=options.requests,
                    ),
                )
        finally:
            procs.signal_groups(workers, signal.SIGCONT)
    return [totals[t.label] for t in targets], cpu


async def _profiled(pids: dict[Path, int], work: Awaitable[object]) -> None:
    recorders = [
        profiling.start_recording(pid, output, seconds=600) for output, pid in pids.items()
    ]
    try:
        await work
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
        for recorder in recorders:
            await asyncio.to_thread(recorder.wait, 30)


async def floor_phase(stack: Stack, orders: int, rate: float, wait_seconds: int) -> FlowFigures:
    run = await run_floor(stack.aws_url, orders, rate, wait_seconds)  # where its SQS is
    return floor_figures(run.injected, run.milestones, orders)


async def pipeline_phase(
    stack: Stack, shop: Shop, orders: int, rate: float, within: float, profile_dir: Path | None
) -> tuple[FlowFigures, pipeline.PipelineRun]:
    run = pipeline.PipelineRun()
    stop = asyncio.Event()
    async with AsyncExitStack() as resources:
        api = await resources.enter_async_context(
            httpx.AsyncClient(base_url=stack.gateway_url, timeout=30)
        )
        conn = await asyncpg.connect(
            host="127.0.0.1", port=stack.ports.postgres, user="app", database="order"
        )
        resources.push_async_callback(conn.close)
        recorders = []
        if profile_dir is not None:
            for name in ("order-worker", "payment-worker", "production-worker"):
                recorders.append(
                    profiling.start_recording(
                        stack.processes[name].pid, profile_dir / f"{name}.txt", seconds=int(within)
                    )
                )
        bot = asyncio.ensure_future(pipeline.kitchen_bot(api, shop, run, stop))
        await pipeline.place_at_rate(api, shop, run, orders, rate)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await pipeline.delivered_count(conn, run.order_ids) >= len(run.order_ids):
                break
            await asyncio.sleep(0.5)
        stop.set()
        await bot
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
            await asyncio.to_thread(recorder.wait, 30)
        run.times = await pipeline.collect_times(
            conn, run.order_ids, stack.moto.url, "production-tickets"
        )
    return pipeline_figures(run.times, orders), run
