"""Mercado Pago credentials: Secrets Manager JSON `{"access_token", "webhook_secret"}`,
each overridable by env. Loaded once per process, never logged."""

import json
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from common.aws import open_client
from payment.settings import LOCAL_WEBHOOK_SECRET, Settings, is_local_url

LOCAL_ACCESS_TOKEN = "TEST-local-simulator-token"  # noqa: S105 - the simulator's


@dataclass(frozen=True)
class MercadoPagoCredentials:
    access_token: str = field(repr=False)
    webhook_secret: str = field(repr=False)


async def load_credentials(settings: Settings) -> MercadoPagoCredentials:
    token = settings.mercadopago_access_token
    secret = settings.mercadopago_webhook_secret
    stored: dict[str, str] = {}
    if token is None or secret is None:
        async with AsyncExitStack() as stack:  # needed once, at start-up only
            client = await open_client(stack, "secretsmanager", settings)
            response = await client.get_secret_value(SecretId=settings.mercadopago_secret_name)
        stored = json.loads(response["SecretString"])
    credentials = MercadoPagoCredentials(
        access_token=token.get_secret_value() if token else stored.get("access_token", ""),
        webhook_secret=secret.get_secret_value() if secret else stored.get("webhook_secret", ""),
    )
    check_credentials(settings, credentials)
    return credentials


def check_credentials(settings: Settings, credentials: MercadoPagoCredentials) -> None:
    if not credentials.access_token or not credentials.webhook_secret:
        raise ValueError("Mercado Pago access_token and webhook_secret are required")
    if settings.environment != "prod":
        return
    if credentials.webhook_secret == LOCAL_WEBHOOK_SECRET:
        raise ValueError("the local Mercado Pago webhook secret is refused in prod")
    token = credentials.access_token
    if token == LOCAL_ACCESS_TOKEN or (
        token.startswith("TEST-") and is_local_url(settings.mercadopago_base_url)
    ):
        raise ValueError("the local simulator's Mercado Pago token is refused in prod")
