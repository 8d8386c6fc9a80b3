"""One aioboto3 session per process; clients are opened once and reused (never per request).

Endpoints follow the AWS SDKs' standard variables: `AWS_ENDPOINT_URL_<SERVICE>` (e.g.
`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`) for one service, else
`AWS_ENDPOINT_URL` (the `aws_endpoint_url` setting) for all; none on AWS. botocore reads the
per-service ones only when no `endpoint_url` is passed, so it is resolved here, in that order.
"""

import os
from contextlib import AsyncExitStack
from typing import Any

import aioboto3
import boto3
from botocore.config import Config
from botocore.utils import CLIENT_NAME_TO_HYPHENIZED_SERVICE_ID_OVERRIDES

from common.settings import ServiceSettings

_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=50,
)


def endpoint_variable(service: str) -> str:
    """botocore's name for a service's endpoint variable: secretsmanager -> ..._SECRETS_MANAGER."""
    service_id: str = CLIENT_NAME_TO_HYPHENIZED_SERVICE_ID_OVERRIDES.get(service, service)
    return "AWS_ENDPOINT_URL_" + service_id.replace("-", "_").upper()


def endpoint_url(service: str, default: str | None) -> str | None:
    """The service's own endpoint variable, else `default` (AWS_ENDPOINT_URL); None = AWS."""
    return os.environ.get(endpoint_variable(service)) or default or None


async def open_client(stack: AsyncExitStack, service: str, settings: ServiceSettings) -> Any:
    """Open an aioboto3 client for the life of `stack` (an app lifespan or a worker)."""
    session = aioboto3.Session(region_name=settings.aws_region)
    url = endpoint_url(service, settings.aws_endpoint_url)
    return await stack.enter_async_context(
        session.client(service, endpoint_url=url, config=_CLIENT_CONFIG)
    )


def sync_client(service: str) -> Any:
    """A boto3 client for the operator tools, configured by the environment alone."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url(service, os.environ.get("AWS_ENDPOINT_URL")),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )
