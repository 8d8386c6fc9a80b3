"""Mercado Pago webhook signature.

Header `x-signature: ts=<ms>,v1=<hex>`; v1 = HMAC-SHA256(secret, manifest) with manifest
`id:{data.id};request-id:{x-request-id};ts:{ts};` (a pair is left out when its value is
absent; data.id is lowercased when alphanumeric, as Mercado Pago documents). `ts` is in
milliseconds since the epoch, as Mercado Pago sends it; a value small enough to be seconds
is accepted as seconds. The HMAC is checked by the SDK's validator; the freshness window is
checked here because the SDK's check assumes seconds.
"""

from mercadopago.webhook.validator import InvalidWebhookSignatureError, WebhookSignatureValidator

_SECONDS_UPPER_BOUND = 10**11  # ~ year 5138 in seconds, ~ 1973 in milliseconds


class InvalidSignature(Exception):
    """Missing, malformed, forged or stale signature."""


def normalize_data_id(data_id: str | None) -> str | None:
    if data_id is not None and data_id.isalnum():
        return data_id.lower()
    return data_id


def timestamp_ms(ts: str) -> int:
    value = int(ts)
    return value * 1000 if value < _SECONDS_UPPER_BOUND else value


def _timestamp(x_signature: str) -> str:
    ts = ""
    for part in x_signature.split(","):  # parsed like the SDK does: the last ts wins
        key, _, value = part.partition("=")
        if key.strip().lower() == "ts" and value.strip():
            ts = value.strip()
    return ts


def verify_signature(
    x_signature: str | None,
    x_request_id: str | None,
    data_id: str | None,
    secret: str,
    *,
    now_ms: int,
    tolerance_seconds: int,
) -> None:
    try:
        WebhookSignatureValidator.validate(
            x_signature, x_request_id, normalize_data_id(data_id), secret
        )
    except InvalidWebhookSignatureError as exc:
        raise InvalidSignature(exc.reason.value) from exc
    if abs(now_ms - timestamp_ms(_timestamp(x_signature or ""))) > tolerance_seconds * 1000:
        raise InvalidSignature("TimestampOutOfTolerance")
