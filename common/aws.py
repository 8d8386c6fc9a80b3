"""One aioboto3 session per process; clients are opened once and reused (never per request)."""

from contextlib import AsyncExitStack
from typing import Any

import aioboto3
from botocore.config import Config

from common.settings import ServiceSettings

_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=50,
)


async def open_client(stack: AsyncExitStack, service: str, settings: ServiceSettings) -> Any:
    """Open an aioboto3 client for the life of `stack` (an app lifespan or a worker)."""
    session = aioboto3.Session(region_name=settings.aws_region)
    return await stack.enter_async_context(
        session.client(service, endpoint_url=settings.aws_endpoint_url, config=_CLIENT_CONFIG)
    )
