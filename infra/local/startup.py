"""Which part of the local stack failed to start, and the end of its log: what `make run`
prints instead of a traceback that names neither."""

import subprocess
from collections.abc import Callable
from pathlib import Path

TAIL_LINES = 30


def log_tail(path: Path | None, lines: int = TAIL_LINES) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").rstrip("\n")
    return "\n".join(text.splitlines()[-lines:])


class StartupFailed(RuntimeError):
    def __init__(self, name: str, reason: str, log: Path | None = None) -> None:
        self.name, self.reason, self.log = name, reason, log
        message = f"{name} failed to start: {reason}"
        tail = log_tail(log)
        if tail:
            message += f"\n--- last lines of {log} ---\n{tail}\n---"
        elif log is not None:
            message += f" (its log, {log}, is empty)"
        super().__init__(message)


def starting(name: str, log: Path | None, start: Callable[[], object]) -> None:
    """Run one start-up step; any failure becomes a StartupFailed that names the step."""
    try:
        start()
    except StartupFailed:
        raise
    except subprocess.CalledProcessError as exc:  # stderr, when captured, says why
        stderr = exc.stderr if isinstance(exc.stderr, bytes) else b""
        detail = stderr.decode(errors="replace").strip()
        raise StartupFailed(name, f"{exc}{': ' + detail if detail else ''}", log) from exc
    except Exception as exc:
        raise StartupFailed(name, str(exc) or type(exc).__name__, log) from exc
