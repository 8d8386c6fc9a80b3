"""`make run` when a process does not come up: it names the process and shows the end of
its log, instead of a traceback that names neither."""

import re
import sys
from pathlib import Path

import pytest

from infra.local import stack as stack_module
from infra.local.stack import Stack, StackPorts
from infra.local.startup import TAIL_LINES, StartupFailed, starting
from tests.conftest import ARTIFACTS


def test_the_failure_names_the_process_and_quotes_the_end_of_its_log(tmp_path: Path) -> None:
    log = tmp_path / "order-api.log"
    log.write_text("".join(f"line {i}\n" for i in range(1, 101)))
    message = str(StartupFailed("order-api", "exited with 1", log))
    assert message.startswith("order-api failed to start: exited with 1\n")
    assert f"line {100 - TAIL_LINES + 1}\n" in message and "line 100\n" in message
    assert f"line {100 - TAIL_LINES}\n" not in message
    empty = tmp_path / "empty.log"
    empty.touch()
    assert "is empty" in str(StartupFailed("gateway", "exited with 2", empty))


def test_any_error_of_a_step_becomes_a_failure_of_that_step() -> None:
    def broken() -> None:
        raise TimeoutError("http://127.0.0.1:1/health not up after 30s")

    with pytest.raises(StartupFailed, match=re.escape("moto failed to start: http://127.0.0.1")):
        starting("moto", None, broken)


def test_make_run_prints_the_failure_and_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "catalog-api.log"
    log.write_text("pydantic_core.ValidationError: 1 validation error for Settings\n")

    def fail(self: Stack) -> None:
        raise StartupFailed("catalog-api", "exited with 1", log)

    stopped: list[bool] = []
    monkeypatch.setattr(Stack, "start", fail)
    monkeypatch.setattr(Stack, "stop", lambda self: stopped.append(True))
    monkeypatch.setattr(sys, "argv", ["stack", "--gateway-port", "0"])
    with pytest.raises(SystemExit) as exit_:
        stack_module.main()
    assert exit_.value.code == 1 and stopped == [True]
    err = capsys.readouterr().err
    assert "make run: catalog-api failed to start: exited with 1" in err
    assert "1 validation error for Settings" in err


@pytest.mark.integration
def test_a_service_that_cannot_start_is_named_with_its_log() -> None:
    """The real stack, with the catalog API given a database port that is not a number."""
    stack = Stack(
        StackPorts.free(),
        ARTIFACTS / "logs" / "startup-failure",
        process_env={"catalog-api": {"DB_PORT": "not-a-port"}},
    )
    try:
        with pytest.raises(StartupFailed) as failure:
            stack.start()
    finally:
        stack.stop()
    assert failure.value.name == "catalog-api"
    assert failure.value.log == stack.log_dir / "catalog-api.log"
    message = str(failure.value)
    assert "catalog-api failed to start" in message and "--- last lines of" in message
    assert "DB_PORT" in message and "valid integer" in message, message  # the log says why
