"""Offline checks of infra/terraform: formatting, validation, and what the tree may depend on."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.infra.terraform_support import TERRAFORM_DIR, copy_terraform_tree

pytestmark = pytest.mark.infra

ROOTS = {"root": ".", "bootstrap": "bootstrap"}


def test_terraform_files_are_formatted(terraform_bin: str) -> None:
    result = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"run `terraform fmt -recursive infra/terraform`:\n{result.stdout}"
    )


@pytest.mark.parametrize("root", ROOTS.values(), ids=ROOTS.keys())
def test_root_module_validates_offline_with_only_the_aws_provider(
    root: str, make_terraform, plugin_dir: Path, tmp_path: Path
) -> None:
    workdir = copy_terraform_tree(tmp_path / "terraform") / root
    terraform = make_terraform(workdir, tmp_path)
    terraform.init(plugin_dir, "-backend=false")

    report = json.loads(terraform.run("validate", "-json", "-no-color").stdout)

    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=2)
    lock = (workdir / ".terraform.lock.hcl").read_text()
    assert re.findall(r'^provider "([^"]+)"', lock, flags=re.MULTILINE) == [
        "registry.terraform.io/hashicorp/aws"
    ]


def test_modules_are_local_and_the_aws_provider_is_pinned() -> None:
    sources = []
    for tf_file in TERRAFORM_DIR.rglob("*.tf"):
        text = tf_file.read_text()
        sources += re.findall(r'^\s*source\s*=\s*"([^"]+)"', text, flags=re.MULTILINE)
        for constraint in re.findall(r'aws\s*=\s*{[^}]*version\s*=\s*"([^"]+)"', text, re.S):
            assert constraint == "~> 5.100", f"{tf_file}: aws provider pinned to {constraint}"
    module_sources = [s for s in sources if s != "hashicorp/aws"]
    assert module_sources, "the root composes no module"
    assert all(s.startswith("./") for s in module_sources), module_sources


def test_every_module_has_main_variables_and_outputs() -> None:
    for module in (TERRAFORM_DIR / "modules").iterdir():
        present = {p.name for p in module.glob("*.tf")}
        assert {"main.tf", "variables.tf", "outputs.tf"} <= present, module.name


@pytest.mark.parametrize(
    ("environment", "email", "accepted"),
    [
        ("prod", "", False),
        ("prod", "not-an-address", False),
        ("prod", "oncall@example.com", True),
        ("dev", "", True),
    ],
)
def test_prod_refuses_an_alarm_topic_nobody_receives(
    environment: str, email: str, accepted: bool, make_terraform, tmp_path: Path
) -> None:
    # The root's variables alone: their validations run in a plan with nothing to create,
    # no provider and no AWS.
    workdir = tmp_path / "variables"
    workdir.mkdir()
    (workdir / "variables.tf").write_text((TERRAFORM_DIR / "variables.tf").read_text())
    terraform = make_terraform(workdir, tmp_path)
    terraform.run("init", "-input=false", "-no-color", "-backend=false")
    args = ["-var", f"environment={environment}", "-var", "image_tag=t"]
    args += ["-var", f"alarm_email={email}"]
    if accepted:
        terraform.run("plan", "-input=false", "-no-color", *args)
    else:
        with pytest.raises(AssertionError, match="prod needs alarm_email"):
            terraform.run("plan", "-input=false", "-no-color", *args)


def _alarm_blocks(kind: str) -> dict[str, str]:
    text = (TERRAFORM_DIR / "modules" / "alarms" / "main.tf").read_text()
    blocks = re.split(r'^resource "aws_cloudwatch_metric_alarm" "', text, flags=re.MULTILINE)
    return {b.split('"', 1)[0]: b for b in blocks[1:] if kind in b}


def test_fewer_running_tasks_than_desired_alarm_and_zero_tasks_is_breaching() -> None:
    alarm = _alarm_blocks("RunningTaskCount")["ecs_tasks_below_desired"]
    assert 'namespace   = "ECS/ContainerInsights"' in alarm
    assert "DesiredTaskCount" in alarm
    assert 'expression  = "desired - FILL(running, 0)"' in alarm  # no datapoint = 0 running
    assert (
        'comparison_operator = "GreaterThanThreshold"' in alarm
        and "threshold           = 0" in alarm
    )
    assert 'treat_missing_data  = "breaching"' in alarm
    assert "for_each = toset(var.ecs_service_names)" in alarm  # every api and worker service
    cluster = (TERRAFORM_DIR / "modules" / "ecs_cluster" / "main.tf").read_text()
    assert re.search(r'name\s*=\s*"containerInsights"\s*value\s*=\s*"enabled"', cluster)


def test_unhealthy_or_missing_targets_alarm_with_missing_data_breaching() -> None:
    alarms = _alarm_blocks("HostCount")
    assert set(alarms) == {"target_group_unhealthy", "target_group_no_healthy_host"}
    unhealthy, none_healthy = (
        alarms["target_group_unhealthy"],
        alarms["target_group_no_healthy_host"],
    )
    assert '"UnHealthyHostCount"' in unhealthy and "threshold           = 0" in unhealthy
    assert '"HealthyHostCount"' in none_healthy and '"LessThanThreshold"' in none_healthy
    for alarm in alarms.values():
        assert 'treat_missing_data  = "breaching"' in alarm
        assert "TargetGroup = each.value" in alarm
    root = (TERRAFORM_DIR / "main.tf").read_text()
    assert "s.target_group_arn_suffix" in root  # every API's target group is watched
