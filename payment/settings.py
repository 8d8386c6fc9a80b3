"""Payment settings (env prefix `PAYMENT_`). Mercado Pago credentials come from Secrets Manager,
overridable by env; production refuses the local simulator's defaults."""

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from common.resources import load_resources
from common.settings import ServiceSettings

_RESOURCES = load_resources()
MERCADOPAGO_API = "https://api.mercadopago.com"
LOCAL_WEBHOOK_SECRET = "local-webhook-secret"  # noqa: S105 - the simulator's, refused in prod
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0")


def is_local_url(url: str) -> bool:
    return any(host in url for host in _LOCAL_HOSTS)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore", populate_by_name=True)

    payments_table: str = "payment-payments"
    outbox_table: str = "payment-outbox"
    inbox_table: str = "payment-inbox"
    mercadopago_base_url: str = MERCADOPAGO_API
    mercadopago_secret_name: str = _RESOURCES.secrets["mercadopago"]
    mercadopago_access_token: SecretStr | None = None  # overrides the secret's
    mercadopago_webhook_secret: SecretStr | None = None  # overrides the secret's
    # One attempt per call (no SDK retries): the reconciler retries on its own schedule.
    mercadopago_timeout_seconds: float = Field(5.0, gt=0, le=20)
    notification_url: str = "http://localhost:8080/payment/webhook"
    # Mercado Pago accepts 30 minutes to 30 days; shorter values exist for local expiry tests.
    pix_expiration_seconds: int = Field(30 * 60, ge=5, le=30 * 24 * 3600)
    webhook_tolerance_seconds: int = Field(300, ge=1)
    # Reconciler (docs/payment.md): pass interval and size, when pending payments are
    # re-fetched, how often one notification may force a re-fetch (unverified: rarer).
    reconcile_interval_seconds: float = Field(1.0, gt=0, le=60)
    reconcile_batch: int = Field(25, ge=1, le=1000)
    pending_check_after_seconds: float = Field(20.0, ge=0)
    pending_check_every_seconds: float = Field(30.0, gt=0)
    notification_min_interval_seconds: float = Field(2.0, ge=0)
    unverified_min_interval_seconds: float = Field(30.0, ge=0)
    # Creation through a Mercado Pago outage: backoff 2 s doubling to the cap, then give up.
    creation_backoff_base_seconds: float = Field(2.0, gt=0)
    creation_backoff_cap_seconds: float = Field(60.0, gt=0)
    creation_horizon_seconds: float = Field(20 * 60, gt=0)
    # Mercado Pago requires a payer e-mail; anonymous totem customers have none.
    default_payer_email: str = "totem@fastfood.example"

    @model_validator(mode="after")
    def _refuse_local_defaults_in_prod(self) -> "Settings":
        if self.environment != "prod":
            return self
        if is_local_url(self.mercadopago_base_url):
            raise ValueError("PAYMENT_MERCADOPAGO_BASE_URL points at a local simulator in prod")
        if is_local_url(self.notification_url):
            raise ValueError("PAYMENT_NOTIFICATION_URL points at localhost in prod")
        if self.pix_expiration_seconds < 30 * 60:
            raise ValueError("PAYMENT_PIX_EXPIRATION_SECONDS below Mercado Pago's 30 minutes")
        secret = self.mercadopago_webhook_secret
        if secret is not None and secret.get_secret_value() == LOCAL_WEBHOOK_SECRET:
            raise ValueError("PAYMENT_MERCADOPAGO_WEBHOOK_SECRET is the local default in prod")
        return self
