"""Open the key ring the settings ask for (file, Secrets Manager or KMS) once at start-up."""

import json
from contextlib import AsyncExitStack
from typing import Any

from auth.settings import Settings
from auth.signing import KeyRing, KmsSigner, PemSigner, Signer
from common.aws import open_client
from common.logging import get_logger

log = get_logger(__name__)


def signer_from_secret(secret_string: str) -> tuple[PemSigner, list[dict[str, Any]]]:
    """SecretString `{"kid", "private_key_pem", "retired_public_jwks"?}` -> signer, retired."""
    try:
        data = json.loads(secret_string)
        pem = data["private_key_pem"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("signing key secret must be JSON with 'private_key_pem'") from exc
    retired = data.get("retired_public_jwks") or []
    return PemSigner(pem, kid=data.get("kid") or None), list(retired)


async def open_key_ring(settings: Settings, stack: AsyncExitStack) -> KeyRing:
    signer: Signer
    retired = list(settings.retired_jwks)
    if settings.signer == "file":
        assert settings.signing_key_file is not None  # enforced by the settings validator
        signer = PemSigner(settings.signing_key_file.read_text())
    elif settings.signer == "secret":
        secrets = await open_client(stack, "secretsmanager", settings)
        value = await secrets.get_secret_value(SecretId=settings.signing_key_secret_name)
        signer, from_secret = signer_from_secret(value["SecretString"])
        retired += from_secret
    else:
        assert settings.kms_key_id is not None  # enforced by the settings validator
        kms = await open_client(stack, "kms", settings)  # stays open: every token is a call
        signer = await KmsSigner.load(kms, settings.kms_key_id, settings.kms_message_type)
    log.info("token signer ready", extra={"signer": settings.signer, "kid": signer.kid})
    return KeyRing(signer, retired)
