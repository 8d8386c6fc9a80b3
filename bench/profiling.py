"""Sampling profiles of running stack processes with py-spy, summarised as text.

`py-spy record --format raw` writes collapsed stacks: `frame;frame;... count`, each frame
`function (path/file.py:line)`. Only on-CPU samples are kept (py-spy drops idle threads),
so the shares say where the process burns CPU, not where it waits.
"""

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProfileSummary:
    samples: int
    by_package: list[tuple[str, float]]  # share of samples whose leaf frame is in the package
    by_function: list[tuple[str, float]]  # inclusive share of the project's own functions


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start_recording(
    pid: int, output: Path, seconds: int, rate: int = 100
) -> subprocess.Popen[bytes]:
    binary = py_spy()
    if binary is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    output.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _package(frame: str) -> str:
    """`execute (sqlalchemy/engine/base.py:1419)` -> `sqlalchemy`; `run (<string>:1)` -> `?`."""
    location = frame.rsplit(" (", 1)[-1].rstrip(")")
    path = location.rsplit(":", 1)[0]
    if "/" in path:
        return path.split("/", 1)[0]
    return path.removesuffix(".py") if path.endswith(".py") else "?"


PROJECT = {"auth", "bench", "catalog", "common", "infra", "order", "payment", "production"}
TRUNK = {"<module>", "main", "run_service_cli", "run_worker"}  # on every stack: no information


def _function(frame: str) -> str:
    name, _, location = frame.rpartition(" (")
    return f"{name} ({location.rsplit(':', 1)[0]})"


def summarise(lines: Iterable[str], top: int = 12) -> ProfileSummary:
    leaf_packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.strip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf_packages[_package(frames[-1])] += count
        own = {f for f in frames if _package(f) in PROJECT and f.rpartition(" (")[0] not in TRUNK}
        for function in {_function(f) for f in own}:
            inclusive[function] += count
    share = 100.0 / total if total else 0.0
    return ProfileSummary(
        samples=total,
        by_package=[(name, n * share) for name, n in leaf_packages.most_common(top)],
        by_function=[(name, n * share) for name, n in inclusive.most_common(top)],
    )


def render_summary(title: str, summary: ProfileSummary) -> str:
    lines = [f"{title}: {summary.samples} on-CPU samples", "  leaf package        share"]
    lines += [f"  {name:<18} {pct:5.1f}%" for name, pct in summary.by_package]
    lines.append("  project functions on the stack (inclusive)")
    lines += [f"  {pct:5.1f}%  {name}" for name, pct in summary.by_function]
    return "\n".join(lines)


def main() -> None:
    """`python -m bench.profiling DIR/order-api.txt ...`: summarise `--profile` recordings."""
    for path in sys.argv[1:]:
        with open(path) as lines:
            print(render_summary(path, summarise(lines)), end="\n\n")


if __name__ == "__main__":
    main()
