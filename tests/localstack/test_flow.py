"""`make run AWS=localstack`, end to end: one order from the totem to DELIVERED through the
gateway, with SQS, KMS and Secrets Manager on LocalStack and DynamoDB on moto."""

import base64
import hashlib

import httpx
import pytest

from common.resources import load_resources
from infra.local.bootstrap import LOCAL_JWT_KEY_ALIAS
from infra.local.demo import customer_token, run_demo, staff_token
from infra.local.localstack import LOCALSTACK_VERSION
from infra.local.stack import Stack
from tests.localstack.conftest import client

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]
RESOURCES = load_resources()


def _queue_names(sqs: object) -> set[str]:
    urls = sqs.list_queues().get("QueueUrls", [])  # type: ignore[attr-defined]
    return {url.rsplit("/", 1)[-1] for url in urls}


def test_one_order_travels_from_the_totem_to_delivered_on_localstack(stack: Stack) -> None:
    with (
        httpx.Client(base_url=stack.gateway_url, timeout=10) as api,
        httpx.Client(base_url=stack.simulator_url, timeout=10) as simulator,
    ):
        order = run_demo(api, simulator, say=lambda _: None)
        history = api.get(f"/order/{order['id']}/history", headers=staff_token(api)).json()
    assert order["status"] == "DELIVERED"
    assert [h["status"] for h in history] == [
        "AWAITING_PAYMENT",
        "PAID",
        "IN_PREPARATION",
        "READY",
        "DELIVERED",
    ]
    # Every event went through LocalStack's queues, and none ended in a DLQ.
    sqs = client("sqs", stack.localstack.url)
    for queue in RESOURCES.queues.values():
        url = sqs.get_queue_url(QueueName=RESOURCES.dlq_name(queue))["QueueUrl"]
        depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (depth["ApproximateNumberOfMessages"], depth["QueueArn"].split(":")[4]) == (
            "0",
            "000000000000",  # LocalStack's account (moto's is 123456789012)
        )


def test_queues_and_secrets_live_on_localstack_and_the_tables_on_moto(stack: Stack) -> None:
    health = httpx.get(f"{stack.localstack.url}/_localstack/health", timeout=5).json()
    assert health["version"] == LOCALSTACK_VERSION
    services = health["services"]
    assert [services[s] for s in ("sqs", "kms", "secretsmanager")] == ["running"] * 3
    assert services["dynamodb"] == "disabled"  # DynamoDB Local cannot be fetched here
    queues = {*RESOURCES.queues.values()}
    queues |= {RESOURCES.dlq_name(q) for q in RESOURCES.queues.values()}
    assert queues <= _queue_names(client("sqs", stack.localstack.url))
    assert queues.isdisjoint(_queue_names(client("sqs", stack.moto.url)))
    tables = client("dynamodb", stack.moto.url).list_tables()["TableNames"]
    assert {table.name for table in RESOURCES.tables} <= set(tables)
    secrets = client("secretsmanager", stack.localstack.url)
    for name in RESOURCES.secrets.values():
        assert secrets.describe_secret(SecretId=name)["Name"] == name


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_tokens_are_signed_by_localstack_kms_with_digest_signing(stack: Stack) -> None:
    kms = client("kms", stack.localstack.url)
    key_id = kms.describe_key(KeyId=LOCAL_JWT_KEY_ALIAS)["KeyMetadata"]["KeyId"]
    jwks = httpx.get(f"{stack.service_url('auth')}/auth/.well-known/jwks.json", timeout=5).json()
    assert [key["kid"] for key in jwks["keys"]] == [key_id]
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as api:
        token = customer_token(api, cpf="11144477735")["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    assert b'"kid":"' + key_id.encode() + b'"' in _b64url_decode(header)
    # KMS itself confirms the signature over the token's signing input (its SHA-256: DIGEST).
    digest = hashlib.sha256(f"{header}.{payload}".encode()).digest()
    verified = kms.verify(
        KeyId=LOCAL_JWT_KEY_ALIAS,
        Message=digest,
        MessageType="DIGEST",
        Signature=_b64url_decode(signature),
        SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256",
    )
    assert verified["SignatureValid"] is True
