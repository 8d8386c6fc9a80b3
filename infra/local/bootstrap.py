"""Create the AWS resources of `common/resources.json` on a local emulator (moto or LocalStack).

Idempotent: run it against a fresh or an already bootstrapped endpoint. The same code serves
`make run` (moto, or LocalStack + moto for DynamoDB) and docker-compose's `aws-init`:
`python -m infra.local.bootstrap --endpoint-url http://127.0.0.1:5055`; a service's own
`AWS_ENDPOINT_URL_<SERVICE>` variable sends that service elsewhere, as it does for the apps.
"""

import argparse
import json
import secrets as token_source
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from common.aws import endpoint_url as service_endpoint_url
from common.resources import Resources, TableSpec, load_resources

LOCAL_MERCADOPAGO_SECRET = {
    "access_token": "TEST-local-simulator-token",
    "webhook_secret": "local-webhook-secret",
}
# The auth service's KMS signing key (AUTH_SIGNER=kms), as infra/terraform/modules/jwt_key
# makes it on AWS: RSA_2048, SIGN_VERIFY, found by its alias.
LOCAL_JWT_KEY_ALIAS = "alias/fastfood-local-jwt"


def aws_client(service: str, endpoint_url: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - emulator only
    )


def create_queues(sqs: Any, resources: Resources, prefix: str = "") -> dict[str, str]:
    urls = {}
    for base_name in resources.queues.values():
        queue_name = prefix + base_name
        dlq_url = sqs.create_queue(
            QueueName=resources.dlq_name(queue_name),
            Attributes={"MessageRetentionPeriod": "1209600"},
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": resources.max_receive_count}
        urls[queue_name] = sqs.create_queue(
            QueueName=queue_name,
            Attributes={
                "VisibilityTimeout": str(resources.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
    return urls


def create_table(dynamodb: Any, table: TableSpec, prefix: str = "") -> None:
    attributes = {table.hash_key, *table.indexes.values()}
    request: dict[str, Any] = {
        "TableName": prefix + table.name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": table.hash_key, "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)
        ],
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, key in table.indexes.items()
        ]
    try:
        dynamodb.create_table(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    if table.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=prefix + table.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
        )


def _put_secret_if_absent(secrets: Any, name: str, value: str) -> None:
    try:
        secrets.create_secret(Name=name, SecretString=value)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise


DATABASES = ("auth", "catalog", "order")  # Postgres-backed; `migrate` creates each one's role


def database_secret_name(service: str) -> str:
    """The local secret holding a Postgres-backed service's own login (as Terraform makes)."""
    return f"fastfood/db/{service}"


def database_role(service: str) -> str:
    return f"{service}_service"


def put_database_secrets(secrets: Any, services: Iterable[str], host: str, port: int) -> None:
    """Each service's own database user, in RDS's secret layout, with a fresh password; the
    service's `migrate` creates the role from it (common/db_roles.py)."""
    for service in services:
        value = json.dumps(
            {
                "username": database_role(service),
                "password": token_source.token_urlsafe(24),
                "host": host,
                "port": port,
                "dbname": service,
                "engine": "postgres",
            }
        )
        try:
            secrets.create_secret(Name=database_secret_name(service), SecretString=value)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            secrets.put_secret_value(SecretId=database_secret_name(service), SecretString=value)


def ensure_signing_key(kms: Any, alias: str = LOCAL_JWT_KEY_ALIAS) -> str:
    """The ARN of the RSA signing key behind `alias`, creating both if absent."""
    try:
        arn: str = kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
        return arn
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NotFoundException":
            raise
    key = kms.create_key(
        KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Description="fastfood local JWT signing key"
    )["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    created: str = key["Arn"]
    return created


def local_signing_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def bootstrap(
    endpoint_url: str, region: str = "us-east-1", endpoints: dict[str, str] | None = None
) -> dict[str, str]:
    """Create everything; `endpoints` overrides the endpoint of one service ("dynamodb": ...)."""

    def client(service: str) -> Any:
        return aws_client(service, (endpoints or {}).get(service, endpoint_url), region)

    resources = load_resources()
    urls = create_queues(client("sqs"), resources)
    dynamodb = client("dynamodb")
    for table in resources.tables:
        create_table(dynamodb, table)
    ensure_signing_key(client("kms"))
    secrets = client("secretsmanager")
    _put_secret_if_absent(
        secrets, resources.secrets["mercadopago"], json.dumps(LOCAL_MERCADOPAGO_SECRET)
    )
    _put_secret_if_absent(
        secrets,
        resources.secrets["auth_signing_key"],
        json.dumps({"kid": "local-1", "private_key_pem": local_signing_key_pem()}),
    )
    _put_secret_if_absent(
        secrets, resources.secrets["project"], json.dumps({"environment": "local", "queues": urls})
    )
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--database",
        metavar="HOST:PORT",
        help="also write each Postgres service's own login secret for this server",
    )
    args = parser.parse_args()
    services = ("sqs", "dynamodb", "kms", "secretsmanager")
    endpoints = {s: url for s in services if (url := service_endpoint_url(s, None))}
    for name, url in bootstrap(args.endpoint_url, args.region, endpoints).items():
        print(f"{name}: {url}")
    if args.database:
        host, _, port = args.database.rpartition(":")
        secrets = aws_client(
            "secretsmanager", endpoints.get("secretsmanager", args.endpoint_url), args.region
        )
        put_database_secrets(secrets, DATABASES, host, int(port))
        print(f"database logins: {', '.join(database_secret_name(s) for s in DATABASES)}")


if __name__ == "__main__":
    main()
