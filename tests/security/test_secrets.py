"""Nothing secret in the logs or the repository; production refuses the local defaults."""

import json
import logging
import re
import subprocess
import time
from typing import Any

import pytest
from pydantic import ValidationError

from auth.settings import Settings as AuthSettings
from catalog.settings import Settings as CatalogSettings
from common.logging import JsonFormatter
from infra.local.processes import REPO_ROOT
from order.settings import Settings as OrderSettings
from payment.settings import Settings as PaymentSettings
from production.settings import Settings as ProductionSettings
from tests.security.conftest import LOG_DIR, World, register_customer

pytestmark = pytest.mark.e2e


def test_logs_carry_no_token_cpf_email_or_password(world: World) -> None:
    api = world.api
    person = register_customer(api, "Joana Segredo")
    cpf = person.cpf
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    password = f"pw-{time.time_ns()}-never-logged"
    identified = api.post("/auth/customers/identify", json={"cpf": formatted})
    assert identified.status_code == 200
    token = identified.json()["access_token"]
    api.post("/auth/customers", json={"name": "Dup", "email": person.email, "cpf": cpf})  # 409
    api.post("/auth/customers/identify", json={"cpf": cpf[:10] + "x"})  # 422
    api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    api.get("/auth/me", headers={"Authorization": f"Bearer {token}x"})  # refused: logged?
    api.post("/auth/staff/login", json={"username": "nobody.at.all", "password": password})
    order = world.place_order(person)
    world.payment_of(order["id"], person)
    with api.stream("GET", f"/order/{order['id']}/events", params={"access_token": token}) as r:
        assert r.status_code == 200
    time.sleep(1.5)  # workers log what the events carried

    secrets = {
        "cpf": cpf,
        "formatted cpf": formatted,
        "email": person.email,
        "token": token,
        "token signature": token.rsplit(".", 1)[1],
        "registration token": person.token,
        "password": password,
    }
    # Ours only: moto stands in for AWS, the simulator for Mercado Pago (it gets the payer).
    logs = {p.name: p.read_text(errors="replace") for p in LOG_DIR.glob("*.log")}
    ours = {name: text for name, text in logs.items() if name not in ("moto.log", "simulator.log")}
    correlation_id = identified.headers["x-correlation-id"]
    assert correlation_id in ours["auth-api.log"]  # the requests were logged: the scan means it
    leaks = [(what, name) for what, s in secrets.items() for name, t in ours.items() if s in t]
    assert leaks == []


_PRIVATE_KEY = re.compile("-----BEGIN [A-Z ]*" + "PRIVATE KEY-----")
_SECRET_PATTERNS = {
    "private key": _PRIVATE_KEY,
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "Mercado Pago production token": re.compile(r"APP_USR-\d{6,}-\d{6}-[0-9a-f]{32}"),
}


def test_the_repository_holds_no_secret() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [n for n in listed if n.endswith((".pem", ".key", ".env")) or "/.env" in n]
    found = []
    for name in listed:
        path = REPO_ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="ignore")
        found += [(what, name) for what, rx in _SECRET_PATTERNS.items() if rx.search(text)]
    assert found == []


_WIRING = {
    "environment": "prod",
    "jwt_issuer": "https://api.example.com/auth",
    "jwks_url": "http://internal-alb.example.com/auth/.well-known/jwks.json",
}
_DATABASE = {"db_host": "db.cluster.example.com", "db_password": "a-database-password"}
PROPER: dict[str, tuple[type[Any], dict[str, Any]]] = {
    "auth": (
        AuthSettings,
        {
            **_WIRING,
            **_DATABASE,
            "staff_password": "prod-staff-pw-1",
            "admin_password": "prod-pw-2",
        },
    ),
    "catalog": (CatalogSettings, {**_WIRING, **_DATABASE}),
    "order": (
        OrderSettings,
        {**_WIRING, **_DATABASE, "catalog_url": "http://internal-alb.example.com/catalog"},
    ),
    "payment": (
        PaymentSettings,
        {**_WIRING, "notification_url": "https://api.example.com/payment/webhook"},
    ),
    "production": (ProductionSettings, _WIRING),
}
_POSTGRES_DEFAULTS = [
    ("jwks_url", "http://localhost:8080/auth/.well-known/jwks.json"),
    ("db_password", ""),
    ("db_host", "127.0.0.1"),
    ("database_url", "postgresql+asyncpg://app@127.0.0.1:5433/x"),
]
# Each local default, put back alone into otherwise proper production settings.
LOCAL_DEFAULTS: dict[str, list[tuple[str, Any]]] = {
    "auth": [
        ("staff_password", "staff-local-password"),
        ("admin_password", "admin-local-password"),
        ("jwt_issuer", "http://localhost:8080/auth"),
        *_POSTGRES_DEFAULTS,
    ],
    "catalog": [("jwt_issuer", "http://localhost:8080/auth"), *_POSTGRES_DEFAULTS],
    "order": [
        ("catalog_url", "http://localhost:8080/catalog"),
        ("jwt_issuer", "http://localhost:8080/auth"),
        *_POSTGRES_DEFAULTS,
    ],
    "payment": [
        ("notification_url", "http://localhost:8080/payment/webhook"),
        ("mercadopago_base_url", "http://127.0.0.1:8090"),
        ("mercadopago_webhook_secret", "local-webhook-secret"),
        ("jwt_issuer", "http://localhost:8080/auth"),
    ],
    "production": [
        ("jwks_url", "http://localhost:8080/auth/.well-known/jwks.json"),
        ("aws_endpoint_url", "http://127.0.0.1:5055"),
        ("jwt_issuer", "http://localhost:8080/auth"),
    ],
}


@pytest.mark.parametrize("service", PROPER)
def test_production_settings_refuse_the_local_defaults(service: str) -> None:
    settings_class, proper = PROPER[service]
    assert settings_class(**proper).environment == "prod"
    with pytest.raises(ValidationError):
        settings_class(environment="prod")  # every default, as `make run` uses them
    for field, local in LOCAL_DEFAULTS[service]:
        with pytest.raises(ValidationError):
            settings_class(**{**proper, field: local})


def test_the_log_formatter_masks_what_slips_into_a_message() -> None:
    """The safety net under the rule "never log personal data or credentials"."""
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    record = logging.LogRecord(
        "t",
        logging.INFO,
        __file__,
        1,
        "login by %s cpf=52998224725 (529.982.247-25) %s",
        None,
        None,
    )
    record.args = ("maria@example.com", f"Authorization: Bearer {token}")
    record.customer_email = "maria@example.com"
    record.headers = f"authorization=Bearer {token}; password=hunter2hunter2"
    line = JsonFormatter("test").format(record)
    for secret in ("maria@example.com", "52998224725", "529.982.247-25", token, "hunter2hunter2"):
        assert secret not in line
    assert json.loads(line)["msg"].startswith("login by <email> cpf=<cpf>")


@pytest.mark.parametrize("service", PROPER)
def test_a_refused_setting_does_not_echo_the_secrets_beside_it(service: str) -> None:
    """A task that fails to start logs the error: it must not carry the other settings."""
    settings_class, proper = PROPER[service]
    secrets = {k: f"secret-{k}-value-1234" for k in ("db_password", "staff_password")}
    with pytest.raises(ValidationError) as refused:
        settings_class(**{**proper, **secrets, "jwt_issuer": "http://localhost:8080/auth"})
    assert "secret-" not in str(refused.value)
