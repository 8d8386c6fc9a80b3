"""Run a service's background loops (consumers, relays) until SIGTERM/SIGINT.

On the signal, polling stops, messages already received are finished, and the process
exits well within the queue's visibility timeout (ECS sends SIGTERM, then SIGKILL 30 s later).
"""

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Sequence

from common.logging import get_logger

log = get_logger(__name__)

Loop = Callable[[asyncio.Event], Awaitable[None]]


async def run_until_stopped(
    loops: Sequence[Loop], stop: asyncio.Event | None = None, grace_seconds: float = 25.0
) -> None:
    stop = stop or asyncio.Event()
    event_loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        event_loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.ensure_future(loop(stop)) for loop in loops]
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in done if t is not stopper and t.exception() is not None]
    stop.set()
    log.info("worker stopping", extra={"failed_loops": len(failed)})
    _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
    for task in pending:
        task.cancel()
    stopper.cancel()
    if failed:
        raise RuntimeError("a worker loop crashed") from failed[0].exception()
    log.info("worker stopped")


async def idle(stop: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, waking at once when the worker is asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
