"""Endpoint resolution (common/aws.py): the SDKs' standard variables, per service first."""

import pytest

from common.aws import endpoint_url, endpoint_variable, sync_client


def test_each_service_has_botocore_s_own_variable_name() -> None:
    assert endpoint_variable("sqs") == "AWS_ENDPOINT_URL_SQS"
    assert endpoint_variable("dynamodb") == "AWS_ENDPOINT_URL_DYNAMODB"
    assert endpoint_variable("kms") == "AWS_ENDPOINT_URL_KMS"
    assert endpoint_variable("secretsmanager") == "AWS_ENDPOINT_URL_SECRETS_MANAGER"


def test_a_service_variable_wins_over_the_shared_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:5055")
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    assert endpoint_url("dynamodb", "http://127.0.0.1:4566") == "http://127.0.0.1:5055"
    assert endpoint_url("sqs", "http://127.0.0.1:4566") == "http://127.0.0.1:4566"


def test_unset_or_empty_means_aws_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "")
    assert endpoint_url("kms", None) is None
    assert endpoint_url("kms", "") is None


def test_the_operator_tools_resolve_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:5055")
    assert sync_client("sqs").meta.endpoint_url == "http://127.0.0.1:4566"
    assert sync_client("dynamodb").meta.endpoint_url == "http://127.0.0.1:5055"


async def test_service_clients_take_their_own_variable_over_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from contextlib import AsyncExitStack

    from common.aws import open_client
    from common.settings import ServiceSettings

    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:5055")
    settings = ServiceSettings(aws_endpoint_url="http://127.0.0.1:4566")
    async with AsyncExitStack() as stack:
        dynamodb = await open_client(stack, "dynamodb", settings)
        sqs = await open_client(stack, "sqs", settings)
        assert dynamodb.meta.endpoint_url == "http://127.0.0.1:5055"
        assert sqs.meta.endpoint_url == "http://127.0.0.1:4566"
