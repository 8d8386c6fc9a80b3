"""Auth settings (env prefix AUTH_); production refuses the local default passwords."""

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from auth.domain import StaffRole
from auth.signing import KmsMessageType
from auth.throttle import AttemptStore, Rule, Throttle
from common.resources import load_resources
from common.settings import PostgresSettings

LOCAL_STAFF_PASSWORD = "staff-local-password"  # noqa: S105 - local default, refused in prod
LOCAL_ADMIN_PASSWORD = "admin-local-password"  # noqa: S105 - local default, refused in prod

SignerKind = Literal["secret", "file", "kms"]


class Settings(PostgresSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", populate_by_name=True)

    access_token_ttl_seconds: int = Field(900, ge=60, le=24 * 3600)
    # Where the signing key lives: Secrets Manager (default), a PEM file, or KMS.
    signer: SignerKind = "secret"
    signing_key_file: Path | None = None
    signing_key_secret_name: str = load_resources().secrets["auth_signing_key"]
    kms_key_id: str | None = None
    # How the KMS signer sends the JWT signing input (auth/signing.py): RAW works everywhere,
    # the moto server included; DIGEST (AWS, LocalStack) has no 4 KB limit.
    kms_message_type: KmsMessageType = "RAW"
    # Public JWKs of keys rotated out, published until their tokens expire (JSON list).
    retired_jwks: list[dict[str, Any]] = Field(default_factory=list)

    # Accounts created at start-up if absent; an empty username seeds nothing (then use
    # `python -m auth.main create-staff`).
    staff_username: str = "staff"
    staff_password: SecretStr = SecretStr(LOCAL_STAFF_PASSWORD)
    admin_username: str = "admin"
    admin_password: SecretStr = SecretStr(LOCAL_ADMIN_PASSWORD)

    # Throttling (auth/throttle.py): attempts allowed per sliding window, in seconds.
    login_ip_limit: int = Field(20, ge=1)
    login_ip_window_seconds: int = Field(60, ge=1)
    login_account_limit: int = Field(5, ge=1)
    login_account_window_seconds: int = Field(15 * 60, ge=1)
    lookup_ip_limit: int = Field(30, ge=1)  # totems of one restaurant may share an address
    lookup_ip_window_seconds: int = Field(60, ge=1)
    # Client address for per-IP limits: X-Forwarded-For as written by our own proxies (the
    # entry TRUSTED_PROXY_HOPS from the right), or the socket peer when not trusted.
    trust_proxy_headers: bool = Field(True, alias="TRUST_PROXY_HEADERS")
    trusted_proxy_hops: int = Field(1, ge=0, alias="TRUSTED_PROXY_HOPS")

    def seed_accounts(self) -> list[tuple[str, str, StaffRole]]:
        seeds: list[tuple[str, str, StaffRole]] = [
            (self.staff_username, self.staff_password.get_secret_value(), "staff"),
            (self.admin_username, self.admin_password.get_secret_value(), "admin"),
        ]
        return [seed for seed in seeds if seed[0]]

    def throttle(self, store: AttemptStore) -> Throttle:
        return Throttle(
            store,
            login_per_ip=Rule(self.login_ip_limit, self.login_ip_window_seconds),
            login_per_account=Rule(self.login_account_limit, self.login_account_window_seconds),
            lookup_per_ip=Rule(self.lookup_ip_limit, self.lookup_ip_window_seconds),
        )

    @model_validator(mode="after")
    def _resolve_signer(self) -> "Settings":
        # Setting only AUTH_SIGNING_KEY_FILE is enough to sign with that file.
        if self.signing_key_file is not None and "signer" not in self.model_fields_set:
            self.signer = "file"
        if self.signer == "file" and self.signing_key_file is None:
            raise ValueError("AUTH_SIGNER=file needs AUTH_SIGNING_KEY_FILE")
        if self.signer == "kms" and not self.kms_key_id:
            raise ValueError("AUTH_SIGNER=kms needs AUTH_KMS_KEY_ID")
        return self

    @model_validator(mode="after")
    def _refuse_local_secrets_in_prod(self) -> "Settings":
        if self.environment != "prod":
            return self
        for username, password, role in self.seed_accounts():
            if password in (LOCAL_STAFF_PASSWORD, LOCAL_ADMIN_PASSWORD):
                raise ValueError(
                    f"the {role} account {username!r} has a local default password in prod: "
                    f"set AUTH_{role.upper()}_PASSWORD, or AUTH_{role.upper()}_USERNAME='' "
                    "to seed no such account"
                )
        if self.signer == "file":
            raise ValueError("AUTH_SIGNER=file keeps the private key on disk; not in prod")
        return self
