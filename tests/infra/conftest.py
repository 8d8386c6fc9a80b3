"""Fixtures of the Terraform tests: the terraform binary, the offline provider mirror, the
names the services use, and a moto server for `terraform apply`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.moto_deployment import DEV_VARS, Deployment, moto_terraform, plan_prod
from tests.infra.terraform_support import (
    MOTO_LAUNCHER,
    PLUGIN_DIR,
    RESOURCES_JSON,
    Terraform,
    free_port,
    terraform_env,
    wait_until_up,
)
from tests.tools import missing_tool

MakeTerraform = Callable[..., Terraform]


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        missing_tool("terraform is not on PATH (Terraform >= 1.11 is needed for infra/terraform)")
    return binary


@pytest.fixture(scope="session")
def plugin_dir() -> Path:
    if not (PLUGIN_DIR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        missing_tool(
            f"no offline provider mirror at {PLUGIN_DIR}: set TF_PLUGIN_DIR to a directory "
            "holding registry.terraform.io/hashicorp/aws/5.100.0 (terraform providers mirror)"
        )
    return PLUGIN_DIR


@pytest.fixture(scope="session")
def make_terraform(terraform_bin: str) -> MakeTerraform:
    def make(workdir: Path, scratch: Path, extra_env: dict[str, str] | None = None) -> Terraform:
        return Terraform(terraform_bin, workdir, terraform_env(scratch, extra_env))

    return make


@pytest.fixture(scope="session")
def common_resources() -> dict[str, Any]:
    """The names the application code uses (single source of truth, owned by common/)."""
    return json.loads(RESOURCES_JSON.read_text())


@dataclass
class TerraformMoto:
    endpoint: str
    log_path: Path


@pytest.fixture(scope="session")
def terraform_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TerraformMoto]:
    """A moto server for the Terraform tests (tests/infra/moto_server.py) on a free port.

    Separate from the session moto of tests/conftest.py: terraform destroy must not race
    other tests' resources, and this one carries the tagging patch of moto_server.py.
    """
    try:
        import moto.server  # noqa: F401
    except ImportError:
        missing_tool("moto[server] is needed for the apply test")
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    for _attempt in range(3):  # another suite may take the port between our bind and moto's
        port = free_port()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, str(MOTO_LAUNCHER), "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        endpoint = f"http://127.0.0.1:{port}"
        if wait_until_up(f"{endpoint}/moto-api/", process, timeout=60):
            break
        process.kill()
        process.wait()
    else:
        pytest.fail(f"moto server did not start; log:\n{log_path.read_text()[-4000:]}")
    try:
        yield TerraformMoto(endpoint, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def deployment(
    make_terraform: MakeTerraform,
    terraform_moto: TerraformMoto,
    plugin_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    """dev applied to moto once for all the apply tests, destroyed at the end (and checked
    gone); prod planned meanwhile, since the apply mostly sits in the provider's fixed waits
    (RDS, ALB, SQS attribute propagation)."""
    endpoint = terraform_moto.endpoint
    prod_scratch = tmp_path_factory.mktemp("prod")
    dev = moto_terraform(make_terraform, endpoint, plugin_dir, tmp_path_factory.mktemp("dev"))
    with ThreadPoolExecutor(max_workers=1) as background:
        prod_plan = background.submit(
            lambda: plan_prod(moto_terraform(make_terraform, endpoint, plugin_dir, prod_scratch))
        )
        try:
            dev.run(
                "apply", "-auto-approve", "-parallelism=20", "-no-color", *DEV_VARS, timeout=480
            )
            state = json.loads(dev.run("show", "-json", "-no-color").stdout)
            outputs = {name: o["value"] for name, o in state["values"]["outputs"].items()}
            yield Deployment(outputs, state, endpoint, prod_plan)
        finally:
            dev.run(
                "destroy", "-auto-approve", "-refresh=false", "-parallelism=20", "-no-color",
                *DEV_VARS, timeout=480,
            )  # fmt: skip
    leftovers = Deployment({}, {}, endpoint)
    assert leftovers.client("sqs").list_queues().get("QueueUrls", []) == []
    assert leftovers.client("dynamodb").list_tables()["TableNames"] == []
    assert leftovers.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert leftovers.client("rds").describe_db_instances()["DBInstances"] == []
