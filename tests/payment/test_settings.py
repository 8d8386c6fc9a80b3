"""Payment configuration: production refuses the local simulator's defaults."""

import pytest
from pydantic import ValidationError

from payment.credentials import LOCAL_ACCESS_TOKEN, MercadoPagoCredentials, check_credentials
from payment.settings import Settings

PROD = {
    "environment": "prod",
    "jwt_issuer": "https://api.example.com/auth",
    "notification_url": "https://api.example.com/payment/webhook",
}


def test_local_defaults_are_fine_outside_production() -> None:
    settings = Settings(environment="local")
    assert settings.mercadopago_base_url == "https://api.mercadopago.com"
    assert settings.payments_table == "payment-payments"
    check_credentials(settings, MercadoPagoCredentials(LOCAL_ACCESS_TOKEN, "local-webhook-secret"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"mercadopago_base_url": "http://127.0.0.1:8090"},
        {"notification_url": "http://localhost:8080/payment/webhook"},
        {"mercadopago_webhook_secret": "local-webhook-secret"},
    ],
)
def test_production_refuses_local_settings(overrides: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings(**(PROD | overrides))


@pytest.mark.parametrize(
    ("token", "secret"),
    [
        (LOCAL_ACCESS_TOKEN, "a-real-secret"),
        ("APP_USR-1", "local-webhook-secret"),
        ("", "a-real-secret"),
        ("APP_USR-1", ""),
    ],
)
def test_production_refuses_local_or_missing_credentials(token: str, secret: str) -> None:
    with pytest.raises(ValueError):
        check_credentials(Settings(**PROD), MercadoPagoCredentials(token, secret))


def test_production_accepts_real_credentials() -> None:
    check_credentials(Settings(**PROD), MercadoPagoCredentials("APP_USR-123", "s3cr3t"))


def test_credentials_never_show_in_repr() -> None:
    assert "s3cr3t" not in repr(MercadoPagoCredentials("APP_USR-123", "s3cr3t"))
