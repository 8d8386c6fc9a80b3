"""A local Mercado Pago: `create_simulator_app(...)` or
`python -m infra.local.mercadopago_simulator --port P --webhook-secret S`."""

from infra.local.mercadopago_simulator.app import create_simulator_app
from infra.local.mercadopago_simulator.webhooks import sign_webhook

__all__ = ["create_simulator_app", "sign_webhook"]
