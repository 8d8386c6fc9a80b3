"""Session fixtures: a real PostgreSQL server and a moto server, started and stopped here.

Each test gets its own database, queues and tables (unique names), so tests never share data.
"""

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("ENVIRONMENT", "test")

from common.resources import load_resources
from infra.local.bootstrap import create_queues, create_table
from infra.local.moto import MotoServer
from infra.local.postgres import LocalPostgres
from infra.local.processes import free_port

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    base = Path(tempfile.mkdtemp(prefix="fastfood-pg-"))
    base.chmod(0o755)
    server = LocalPostgres(base / "data", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer(free_port(), ARTIFACTS / "logs" / "moto-tests.log")
    server.start()
    yield server
    server.stop()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def fresh_database(postgres: LocalPostgres, service: str) -> str:
    """A new empty database; returns its SQLAlchemy URL."""
    name = unique(f"{service}_")
    await postgres.create_database(name)
    return postgres.url(name)


@dataclass(frozen=True)
class AwsResources:
    endpoint_url: str
    prefix: str
    queues: dict[str, str]  # service -> queue name
    tables: dict[str, str]  # base table name -> actual table name

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name="us-east-1")

    def env(self) -> dict[str, str]:
        """Environment for a service process pointed at these resources."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": "us-east-1",
            "PAYMENT_QUEUE_NAME": self.queues["payment"],
            "ORDER_QUEUE_NAME": self.queues["order"],
            "PRODUCTION_QUEUE_NAME": self.queues["production"],
            "PAYMENT_PAYMENTS_TABLE": self.tables["payment-payments"],
            "PAYMENT_OUTBOX_TABLE": self.tables["payment-outbox"],
            "PAYMENT_INBOX_TABLE": self.tables["payment-inbox"],
            "PRODUCTION_TICKETS_TABLE": self.tables["production-tickets"],
            "PRODUCTION_OUTBOX_TABLE": self.tables["production-outbox"],
            "PRODUCTION_INBOX_TABLE": self.tables["production-inbox"],
        }


def make_aws_resources(endpoint_url: str, max_receive_count: int | None = None) -> AwsResources:
    resources = load_resources()
    if max_receive_count is not None:
        from dataclasses import replace

        resources = replace(resources, max_receive_count=max_receive_count)
    prefix = unique("t") + "-"
    sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name="us-east-1")
    create_queues(sqs, resources, prefix)
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name="us-east-1")
    for table in resources.tables:
        create_table(dynamodb, table, prefix)
    return AwsResources(
        endpoint_url=endpoint_url,
        prefix=prefix,
        queues={service: prefix + name for service, name in resources.queues.items()},
        tables={table.name: prefix + table.name for table in resources.tables},
    )


@pytest.fixture
def aws(moto_server: MotoServer) -> AwsResources:
    """Fresh queues (with DLQs and redrive) and tables for one test."""
    return make_aws_resources(moto_server.url)


@pytest.fixture
async def aio_clients(aws: AwsResources) -> AsyncIterator[dict[str, Any]]:
    import aioboto3

    session = aioboto3.Session(region_name="us-east-1")
    async with (
        session.client("sqs", endpoint_url=aws.endpoint_url) as sqs,
        session.client("dynamodb", endpoint_url=aws.endpoint_url) as dynamodb,
    ):
        yield {"sqs": sqs, "dynamodb": dynamodb}


FIGURES = ARTIFACTS / "figures.txt"


def record_figure(line: str) -> None:
    """Print a measured figure and keep it for the end-of-run summary (works under xdist)."""
    print(line)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as handle:
        handle.write(line.rstrip() + "\n")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller, not an xdist worker
        FIGURES.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if hasattr(terminalreporter.config, "workerinput") or not FIGURES.exists():
        return
    terminalreporter.section("figures")
    for line in FIGURES.read_text().splitlines():
        terminalreporter.write_line(line)


# Under `pytest -n 2`, tests sharing an expensive fixture must land on the same worker: one
# Terraform apply, one stack per package that shares one. (xdist_group markers are ignored by
# pytest-xdist 3.8 under pytest 9, so the grouping is a scheduler of our own.)
_SHARED_BY_PACKAGE = ("security", "tracking", "localstack")


def xdist_group_of(nodeid: str) -> str:
    parts = nodeid.split("::", 1)[0].split("/")
    if parts[:2] == ["tests", "infra"] and parts[-1].startswith("test_terraform"):
        return "terraform"
    if len(parts) > 2 and parts[1] in _SHARED_BY_PACKAGE:
        return parts[1]
    return "/".join(parts)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group_of(nodeid)

    return GroupScheduling(config, log)
