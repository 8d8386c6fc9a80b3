"""Applied to moto: the names, environment and roles each ECS service gets."""

from typing import Any

import pytest

from tests.infra.moto_deployment import (
    NAME,
    POSTGRES_SERVICES,
    SERVICES,
    WORKERS,
    Deployment,
    container,
    private_subnet_ids,
    security_groups,
)

pytestmark = pytest.mark.infra


def test_outputs_are_the_names_in_common_resources_json(
    deployment: Deployment, common_resources: dict[str, Any]
) -> None:
    out = deployment.outputs
    queues = common_resources["queues"]
    dlqs = {svc: name + common_resources["dlq_suffix"] for svc, name in queues.items()}

    assert out["queue_names"] == queues
    assert {svc: url.rsplit("/", 1)[1] for svc, url in out["queue_urls"].items()} == queues
    assert {svc: url.rsplit("/", 1)[1] for svc, url in out["dlq_urls"].items()} == dlqs
    assert out["table_names"] == {table: table for table in common_resources["tables"]}
    assert out["secret_names"]["mercadopago"] == common_resources["secrets"]["mercadopago"]
    assert out["secret_names"]["project"] == common_resources["secrets"]["project"]
    assert f":secret:{common_resources['secrets']['project']}-" in out["project_secret_arn"]
    assert {svc: url.split("/", 1)[1] for svc, url in out["ecr_repository_urls"].items()} == {
        svc: f"{common_resources['project']}/{svc}" for svc in SERVICES
    }
    assert out["jwt_issuer"] == out["api_url"] + "/auth"


def test_task_definitions_hand_each_service_the_names_it_reads(
    deployment: Deployment, common_resources: dict[str, Any]
) -> None:
    out = deployment.outputs
    alb = f"http://{out['alb_dns_name']}"
    tables = common_resources["tables"]
    expected_by_service: dict[str, dict[str, str]] = {
        "auth": {"AUTH_SIGNER": "kms", "AUTH_KMS_KEY_ID": out["jwt_kms_key_arn"]},
        "catalog": {},
        "order": {"ORDER_CATALOG_URL": f"{alb}/catalog"},
        "payment": {
            "PAYMENT_PAYMENTS_TABLE": next(t for t in tables if t.endswith("-payments")),
            "PAYMENT_OUTBOX_TABLE": "payment-outbox",
            "PAYMENT_INBOX_TABLE": "payment-inbox",
            "PAYMENT_MERCADOPAGO_SECRET_NAME": common_resources["secrets"]["mercadopago"],
            "PAYMENT_NOTIFICATION_URL": f"{out['api_url']}/payment/webhook",
        },
        "production": {
            "PRODUCTION_TICKETS_TABLE": "production-tickets",
            "PRODUCTION_OUTBOX_TABLE": "production-outbox",
            "PRODUCTION_INBOX_TABLE": "production-inbox",
        },
    }
    assert out["ecs_service_names"] == {
        svc: {"api": f"{svc}-api"} | ({"worker": f"{svc}-worker"} if svc in WORKERS else {})
        for svc in SERVICES
    }
    for svc, roles in out["ecs_service_names"].items():
        for role, service_name in roles.items():
            _, task = container(deployment, service_name)
            (definition,) = task["containerDefinitions"]
            env = {e["name"]: e["value"] for e in definition["environment"]}
            secrets = {s["name"]: s["valueFrom"] for s in definition.get("secrets", [])}

            assert definition["command"] == ["python", "-m", f"{svc}.main", role]
            assert env["ENVIRONMENT"] == "prod"
            assert env["JWT_ISSUER"] == out["jwt_issuer"]
            assert env["JWT_AUDIENCE"] == "fastfood-api"
            assert env["JWKS_URL"] == f"{alb}/auth/.well-known/jwks.json"
            for owner, queue in common_resources["queues"].items():
                assert env[f"{owner.upper()}_QUEUE_NAME"] == queue
            assert expected_by_service[svc].items() <= env.items()
            if svc in POSTGRES_SERVICES:
                assert env["DB_NAME"] == svc
                assert env["DB_HOST"] == out["rds_address"]
                assert env["DB_PORT"] == "5432"
                assert secrets["DB_PASSWORD"] == f"{out['rds_master_user_secret_arn']}:password::"
                # ...for migrate only: the service logs in as its own role, from its secret
                assert env[f"{svc.upper()}_DB_SECRET_NAME"] == f"fastfood/db/{svc}"
                assert f":secret:fastfood/db/{svc}-" in out["database_user_secret_arns"][svc]
            else:
                assert "DB_HOST" not in env
            if svc == "auth":
                assert {"AUTH_STAFF_PASSWORD", "AUTH_ADMIN_PASSWORD"} <= secrets.keys()


def test_containers_are_fargate_tasks_with_read_only_roots_and_their_own_roles(
    deployment: Deployment,
) -> None:
    for svc, roles in deployment.outputs["ecs_service_names"].items():
        for role, service_name in roles.items():
            _, task = container(deployment, service_name)
            (definition,) = task["containerDefinitions"]
            assert task["requiresCompatibilities"] == ["FARGATE"]
            assert (task["cpu"], task["memory"], task["networkMode"]) == ("256", "512", "awsvpc")
            assert task["taskRoleArn"].endswith(f"role/{NAME}-{svc}-task")
            assert task["executionRoleArn"].endswith(f"role/{NAME}-{svc}-execution")
            assert definition["readonlyRootFilesystem"] is True
            assert definition["image"].endswith(f"/fastfood/{svc}:test")
            assert (
                definition["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{NAME}/{svc}"
            )
            ports = [p["containerPort"] for p in definition.get("portMappings", [])]
            assert ports == ([8000] if role == "api" else [])


def test_ecs_services_are_private_roll_back_and_scale_on_cpu(deployment: Deployment) -> None:
    sg = security_groups(deployment)
    names = [
        n for roles in deployment.outputs["ecs_service_names"].values() for n in roles.values()
    ]
    for name in names:
        described, _ = container(deployment, name)
        network = described["networkConfiguration"]["awsvpcConfiguration"]
        assert described["launchType"] == "FARGATE"
        assert network["assignPublicIp"] == "DISABLED"
        assert network["securityGroups"] == [sg["ecs-tasks"]["GroupId"]]
        assert set(network["subnets"]) == private_subnet_ids(deployment)
        if name.endswith("-api"):
            (lb,) = described["loadBalancers"]
            assert (lb["containerName"], lb["containerPort"]) == ("api", 8000)

    # moto does not echo the deployment configuration back: read what Terraform applied.
    for service in deployment.resources("aws_ecs_service"):
        assert service["values"]["deployment_circuit_breaker"] == [
            {"enable": True, "rollback": True}
        ]
        assert service["values"]["deployment_minimum_healthy_percent"] == 100

    autoscaling = deployment.client("application-autoscaling")
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert {t["ResourceId"] for t in targets} == {f"service/{NAME}/{n}" for n in names}
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert {p["ResourceId"] for p in policies} == {t["ResourceId"] for t in targets}
    for policy in policies:
        config = policy["TargetTrackingScalingPolicyConfiguration"]
        assert policy["PolicyType"] == "TargetTrackingScaling"
        assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
            "ECSServiceAverageCPUUtilization"
        )
