"""Processes of the stack seen from /proc: peak RSS per process group, pause and resume.

Every stack process is started in its own session (`start_new_session=True`), so its
process group id is its pid, and all its children (uvicorn has none; pg has many) share it.
"""

import contextlib
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Rss:
    """Kilobytes: VmHWM (peak resident) and VmRSS (resident now), summed over processes."""

    processes: int
    peak_kb: int
    current_kb: int


def _status_fields(pid: int) -> dict[str, str]:
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:  # the process exited meanwhile
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _kb(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


def pids_in_groups(pgids: Iterable[int]) -> list[int]:
    wanted = set(pgids)
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # Field 5 of /proc/<pid>/stat is the pgid; the command name (2) may hold spaces.
            after_name = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(after_name[2]) in wanted:
            found.append(int(entry.name))
    return sorted(found)


def children_of(parent: int) -> list[int]:
    """Direct children (Postgres' backends are children of the postmaster)."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and _status_fields(int(entry.name)).get("PPid", "").strip() == str(
            parent
        ):
            found.append(int(entry.name))
    return found


def rss_of(pids: Iterable[int]) -> Rss:
    statuses = [s for s in (_status_fields(pid) for pid in pids) if s]
    return Rss(
        processes=len(statuses),
        peak_kb=sum(_kb(s.get("VmHWM")) for s in statuses),
        current_kb=sum(_kb(s.get("VmRSS")) for s in statuses),
    )


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def signal_groups(pgids: Iterable[int], sig: signal.Signals) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(pgid, sig)


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time of the processes so far (fields 14 and 15 of /proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


MACHINE = "whole machine"


def machine_busy_seconds() -> float:
    """CPU seconds every core spent not idle since boot (/proc/stat), all processes included."""
    fields = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
