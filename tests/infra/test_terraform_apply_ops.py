"""Applied to moto: alarms, logs and images; and prod, planned against the same emulator."""

from typing import Any

import pytest

from tests.infra.moto_deployment import (
    NAME,
    SERVICES,
    Deployment,
)

pytestmark = pytest.mark.infra


def test_alarms_watch_the_alb_the_services_and_every_queue(
    deployment: Deployment, common_resources: dict[str, Any]
) -> None:
    alarms = {
        a["AlarmName"].removeprefix(f"{NAME}-"): a
        for a in deployment.client("cloudwatch").describe_alarms()["MetricAlarms"]
        if a["AlarmName"].startswith(f"{NAME}-")
    }
    topic = deployment.outputs["alarm_topic_arn"]
    assert all(a["AlarmActions"] == [topic] for a in alarms.values())
    assert alarms["alb-elb-5xx"]["MetricName"] == "HTTPCode_ELB_5XX_Count"
    assert alarms["alb-target-5xx"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert alarms["alb-latency-p95"]["ExtendedStatistic"] == "p95"
    for roles in deployment.outputs["ecs_service_names"].values():
        for name in roles.values():
            assert {f"ecs-{name}-CPUUtilization", f"ecs-{name}-MemoryUtilization"} <= alarms.keys()
    for queue in common_resources["queues"].values():
        dlq = queue + common_resources["dlq_suffix"]
        assert alarms[f"sqs-{dlq}-not-empty"]["Threshold"] == 0
        assert alarms[f"sqs-{queue}-oldest-message-age"]["MetricName"] == (
            "ApproximateAgeOfOldestMessage"
        )
        assert f"sqs-{dlq}-oldest-message-age" in alarms


def test_logs_are_kept_encrypted_for_the_configured_retention_and_images_are_immutable(
    deployment: Deployment,
) -> None:
    groups = deployment.client("logs").describe_log_groups()["logGroups"]
    assert {g["logGroupName"] for g in groups} >= {
        f"/apigateway/{NAME}/access",
        f"/vpc/{NAME}/flow-logs",
        *(f"/ecs/{NAME}/{svc}" for svc in SERVICES),
    }
    assert all(g["retentionInDays"] == 14 and g.get("kmsKeyId") for g in groups)
    for repo in deployment.client("ecr").describe_repositories()["repositories"]:
        assert repo["imageTagMutability"] == "IMMUTABLE"
        assert repo["imageScanningConfiguration"]["scanOnPush"] is True
        assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"


def test_prod_plan_has_a_nat_per_az_multi_az_database_and_deletion_protection(
    deployment: Deployment,
) -> None:
    assert deployment.prod_plan is not None
    plan = deployment.prod_plan.result(timeout=300)
    created = {
        change["address"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["change"]["actions"] == ["create"]
    }

    nats = [a for a in created if a.startswith("module.network.aws_nat_gateway.this")]
    assert len(nats) == 2
    db = created["module.rds.aws_db_instance.this"]
    assert db["multi_az"] is True and db["deletion_protection"] is True
    assert db["skip_final_snapshot"] is False and db["backup_retention_period"] >= 7
    assert created["module.alb.aws_lb.this"]["enable_deletion_protection"] is True
    tables = [v for a, v in created.items() if ".aws_dynamodb_table.this" in a]
    assert tables and all(t["deletion_protection_enabled"] for t in tables)
    scaling = [v for a, v in created.items() if a.endswith('aws_appautoscaling_target.this["api"]')]
    assert len(scaling) == len(SERVICES) and all(t["min_capacity"] >= 2 for t in scaling)
