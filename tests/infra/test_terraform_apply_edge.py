"""Applied to moto: VPC, security groups, internal ALB and the HTTP API in front."""

import pytest

from infra.local.routes import Auth, RouteTable
from tests.infra.moto_deployment import (
    NAME,
    SERVICES,
    Deployment,
    private_subnet_ids,
    rules,
    security_groups,
)

pytestmark = pytest.mark.infra


def test_security_groups_let_only_the_intended_tiers_talk(deployment: Deployment) -> None:
    sg = security_groups(deployment)
    ids = {tier: group["GroupId"] for tier, group in sg.items()}
    vpc_cidr = deployment.client("ec2").describe_vpcs(VpcIds=[deployment.outputs["vpc_id"]])[
        "Vpcs"
    ][0]["CidrBlock"]

    assert rules(sg["vpc-link"]["IpPermissions"]) == set()
    assert rules(sg["vpc-link"]["IpPermissionsEgress"]) == {(80, ids["alb"])}
    assert rules(sg["alb"]["IpPermissions"]) == {(80, ids["vpc-link"]), (80, ids["ecs-tasks"])}
    assert rules(sg["alb"]["IpPermissionsEgress"]) == {(8000, vpc_cidr)}
    assert rules(sg["ecs-tasks"]["IpPermissions"]) == {(8000, ids["alb"])}
    assert rules(sg["ecs-tasks"]["IpPermissionsEgress"]) == {
        (443, "0.0.0.0/0"),
        (80, ids["alb"]),
        (5432, ids["database"]),
    }
    assert rules(sg["database"]["IpPermissions"]) == {(5432, ids["ecs-tasks"])}
    assert rules(sg["database"]["IpPermissionsEgress"]) == set()
    assert sg["default"]["IpPermissions"] == sg["default"]["IpPermissionsEgress"] == []


def test_network_spans_two_azs_with_private_subnets_behind_one_nat_in_dev(
    deployment: Deployment,
) -> None:
    ec2 = deployment.client("ec2")
    vpc = {"Name": "vpc-id", "Values": [deployment.outputs["vpc_id"]]}
    subnets = ec2.describe_subnets(Filters=[vpc])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)
    (nat,) = ec2.describe_nat_gateways(Filters=[vpc])["NatGateways"]
    for table in ec2.describe_route_tables(Filters=[vpc])["RouteTables"]:
        associated = {a.get("SubnetId") for a in table["Associations"]}
        if associated & private_subnet_ids(deployment):
            defaults = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
            assert [r.get("NatGatewayId") for r in defaults] == [nat["NatGatewayId"]]
    flow_logs = ec2.describe_flow_logs()["FlowLogs"]
    assert [f["ResourceId"] for f in flow_logs] == [deployment.outputs["vpc_id"]]


def test_internal_alb_routes_each_prefix_to_its_service_target_group(
    deployment: Deployment,
) -> None:
    elbv2 = deployment.client("elbv2")
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    assert lb["Scheme"] == "internal"
    assert lb["SecurityGroups"] == [security_groups(deployment)["alb"]["GroupId"]]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert listener["Port"] == 80
    assert listener["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "404"

    routed = {}
    for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        if rule["Priority"] == "default":
            continue
        (condition,) = rule["Conditions"]
        (action,) = rule["Actions"]
        (group,) = elbv2.describe_target_groups(TargetGroupArns=[action["TargetGroupArn"]])[
            "TargetGroups"
        ]
        routed[tuple(condition["PathPatternConfig"]["Values"])] = (
            group["HealthCheckPath"],
            group["TargetType"],
            group["Port"],
        )
    assert routed == {(f"/{svc}", f"/{svc}/*"): (f"/{svc}/health", "ip", 8000) for svc in SERVICES}


def test_http_api_proxies_to_the_alb_and_guards_all_but_public_routes_with_jwt(
    deployment: Deployment,
) -> None:
    api_client = deployment.client("apigatewayv2")
    (api,) = [a for a in api_client.get_apis()["Items"] if a["Name"] == NAME]
    assert api["ApiEndpoint"] == deployment.outputs["api_url"]
    assert api["CorsConfiguration"]["AllowOrigins"] == ["*"]
    routes = {r["RouteKey"]: r for r in api_client.get_routes(ApiId=api["ApiId"])["Items"]}

    protected = routes.pop("ANY /{proxy+}")
    assert protected["AuthorizationType"] == "JWT"
    authorizer = api_client.get_authorizer(
        ApiId=api["ApiId"], AuthorizerId=protected["AuthorizerId"]
    )
    assert authorizer["JwtConfiguration"] == {
        "Audience": ["fastfood-api"],
        "Issuer": f"{deployment.outputs['api_url']}/auth",
    }
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    # The routes are the local gateway's table (infra/terraform/routes.json), one source.
    table = RouteTable.load(list(SERVICES))
    by_auth: dict[str, set[str]] = {}
    for key, route in routes.items():
        by_auth.setdefault(route["AuthorizationType"], set()).add(key)
    assert by_auth["NONE"] == table.keys(Auth.PUBLIC)
    assert by_auth["AWS_IAM"] == table.keys(Auth.DENIED)
    assert by_auth["JWT"] == table.keys(Auth.QUERY_JWT)
    assert {"GET /order/board/events", "GET /production/kitchen"} <= by_auth["NONE"]
    assert {f"ANY /{svc}/metrics" for svc in SERVICES} == by_auth["AWS_IAM"]
    (query_authorizer,) = {
        api_client.get_authorizer(ApiId=api["ApiId"], AuthorizerId=routes[k]["AuthorizerId"])[
            "IdentitySource"
        ][0]
        for k in by_auth["JWT"]
    }
    assert query_authorizer == f"$request.querystring.{table.query_token_parameter}"
    assert {r["Target"] for r in routes.values()} == {protected["Target"]}

    integration = api_client.get_integration(
        ApiId=api["ApiId"], IntegrationId=protected["Target"].removeprefix("integrations/")
    )
    (lb,) = deployment.client("elbv2").describe_load_balancers()["LoadBalancers"]
    (listener,) = deployment.client("elbv2").describe_listeners(
        LoadBalancerArn=lb["LoadBalancerArn"]
    )["Listeners"]
    assert (integration["IntegrationType"], integration["ConnectionType"]) == (
        "HTTP_PROXY",
        "VPC_LINK",
    )
    assert integration["IntegrationUri"] == listener["ListenerArn"]
    (link,) = api_client.get_vpc_links()["Items"]
    assert integration["ConnectionId"] == link["VpcLinkId"]
    assert link["SecurityGroupIds"] == [security_groups(deployment)["vpc-link"]["GroupId"]]
    stage = api_client.get_stage(ApiId=api["ApiId"], StageName="$default")
    assert stage["AccessLogSettings"]["DestinationArn"].endswith(
        f":log-group:/apigateway/{NAME}/access"
    )
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
