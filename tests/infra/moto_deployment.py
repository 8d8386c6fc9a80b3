"""The dev deployment the apply tests share: `terraform apply` against moto, and the boto3
look-ups the tests make on it.

The provider reaches moto through a test-only override file (endpoints + fake credentials,
local state in a temp dir); nothing else differs from a real `apply -var-file=dev.tfvars`.
Moto does not echo every setting back (ECS deployment configuration, security group rule
descriptions, DB parameters); those few are read from the Terraform state instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.infra.terraform_support import Terraform, copy_terraform_tree

SERVICES = ["auth", "catalog", "order", "payment", "production"]
WORKERS = {"order", "payment", "production"}
POSTGRES_SERVICES = {"auth", "catalog", "order"}
NAME = "fastfood-dev"
REGION = "us-east-1"
DEV_VARS = ("-var-file=environments/dev.tfvars", "-var=image_tag=test")
ENDPOINT_SERVICES = [
    "apigatewayv2", "applicationautoscaling", "cloudwatch", "dynamodb", "ec2", "ecr", "ecs",
    "elbv2", "iam", "kms", "logs", "rds", "s3", "secretsmanager", "sns", "sqs", "sts",
]  # fmt: skip


def write_moto_override(workdir: Path, endpoint: str, state_path: Path) -> None:
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in ENDPOINT_SERVICES)
    (workdir / "moto_override.tf").write_text(
        f"""# Test only: local state, fake credentials, every AWS API served by moto.
terraform {{
  backend "local" {{
    path = "{state_path}"
  }}
}}

provider "aws" {{
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}
"""
    )


def moto_terraform(
    make_terraform: Any, endpoint: str, plugin_dir: Path, scratch: Path
) -> Terraform:
    """A fresh copy of infra/terraform wired to moto, initialised from the offline mirror."""
    workdir = copy_terraform_tree(scratch / "terraform")
    write_moto_override(workdir, endpoint, scratch / "terraform.tfstate")
    terraform: Terraform = make_terraform(workdir, scratch)
    terraform.init(plugin_dir)
    return terraform


@dataclass
class Deployment:
    outputs: dict[str, Any]
    state: dict[str, Any]
    endpoint: str
    prod_plan: Future[dict[str, Any]] | None = None

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 2}),
        )

    def resources(self, resource_type: str) -> list[dict[str, Any]]:
        """Resources of a type in the Terraform state (`terraform show -json`)."""

        def walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
            yield from module.get("resources", [])
            for child in module.get("child_modules", []):
                yield from walk(child)

        root = self.state["values"]["root_module"]
        return [r for r in walk(root) if r["type"] == resource_type]


def plan_prod(terraform: Terraform) -> dict[str, Any]:
    """`terraform plan -var-file=prod.tfvars` (own state, nothing applied), as JSON."""
    terraform.run(
        "plan", "-refresh=false", "-parallelism=20", "-no-color", "-out=prod.tfplan",
        "-var-file=environments/prod.tfvars", "-var=image_tag=test",
        "-var=alarm_email=oncall@example.com",  # prod refuses none; CI passes TF_VAR_alarm_email
    )  # fmt: skip
    plan: dict[str, Any] = json.loads(terraform.run("show", "-json", "prod.tfplan").stdout)
    return plan


# --- look-ups on the deployment ---------------------------------------------------------


def container(deployment: Deployment, service_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    ecs = deployment.client("ecs")
    described = ecs.describe_services(cluster=NAME, services=[service_name])["services"][0]
    task = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])
    return described, task["taskDefinition"]


def security_groups(deployment: Deployment) -> dict[str, dict[str, Any]]:
    groups = deployment.client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [deployment.outputs["vpc_id"]]}]
    )["SecurityGroups"]
    return {g["GroupName"].removeprefix(f"{NAME}-"): g for g in groups}


def private_subnet_ids(deployment: Deployment) -> set[str]:
    subnets = deployment.client("ec2").describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [deployment.outputs["vpc_id"]]},
            {"Name": "tag:Tier", "Values": ["private"]},
        ]
    )["Subnets"]
    return {s["SubnetId"] for s in subnets}


def rules(permissions: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """(port, source or destination) pairs of a group's ingress or egress permissions."""
    found = set()
    for p in permissions:
        for pair in p["UserIdGroupPairs"]:
            found.add((p["FromPort"], pair["GroupId"]))
        for cidr in p["IpRanges"]:
            found.add((p["FromPort"], cidr["CidrIp"]))
        assert p["IpProtocol"] == "tcp" and p["FromPort"] == p["ToPort"], p
    return found


def role_policy(deployment: Deployment, role: str) -> list[dict[str, Any]]:
    iam = deployment.client("iam")
    statements = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        statements += document["Statement"]
    return statements


def granted(statements: list[dict[str, Any]], service_prefix: str) -> set[str]:
    """Resources a policy grants any `<service_prefix>:` action on."""
    resources: set[str] = set()
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if any(a.startswith(f"{service_prefix}:") for a in actions):
            found = statement["Resource"]
            resources |= set(found if isinstance(found, list) else [found])
    return resources


def key_arn(deployment: Deployment) -> str:
    """ARN of the project's data key (alias/<name>-data)."""
    kms = deployment.client("kms")
    return kms.describe_key(KeyId=f"alias/{NAME}-data")["KeyMetadata"]["Arn"]
