"""One stack on LocalStack for the whole package, exactly as `make run AWS=localstack` starts it.

SQS, KMS and Secrets Manager on a native LocalStack (`.venv-localstack`, which `make test`'s
setup creates: scripts/setup-localstack.sh), DynamoDB on the moto server. The tests that
need only an SQS or KMS endpoint use the stack's LocalStack with resources of their own.
"""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.stack import Stack, StackPorts
from tests.conftest import ARTIFACTS

EMULATOR_KEYS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "localstack: runs against a native LocalStack (tests/localstack/)"
    )


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    running = Stack(
        StackPorts.free(),
        ARTIFACTS / "logs" / "localstack",
        extra_env={"QUEUE_WAIT_SECONDS": "2"},
        aws="localstack",
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


def client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint_url, region_name="us-east-1", **EMULATOR_KEYS
    )
