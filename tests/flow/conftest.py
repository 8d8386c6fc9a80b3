from collections.abc import Iterator

import pytest

from infra.local.stack import Stack, StackPorts
from tests.conftest import ARTIFACTS


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """The whole embedded stack on free ports, exactly as `make run` starts it."""
    running = Stack(
        StackPorts.free(), ARTIFACTS / "logs" / "flow", extra_env={"QUEUE_WAIT_SECONDS": "2"}
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
