"""Oversized bodies answer 413 (declared or streamed), and write bodies refuse unknown fields."""

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from common.settings import ServiceSettings
from tests.security.conftest import PRODUCT, World, ok, random_cpf
from tests.security.routes import SERVICES

pytestmark = pytest.mark.e2e
LIMIT = ServiceSettings().max_body_bytes
# One JSON write route per service that has any (payment and production take no bodies).
WRITES = {
    "auth": ("POST", "/auth/customers", "none"),
    "catalog": ("POST", "/catalog/products", "staff"),
    "order": ("POST", "/order", "customer"),
}


def oversized() -> bytes:
    return b'{"name": "' + b"x" * (LIMIT + 1) + b'"}'


def chunks(body: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text[:300]
    assert response.json()["error"] == "payload_too_large"
    assert set(response.json()) == {"error", "detail", "correlation_id"}


@pytest.mark.parametrize("service", WRITES)
@pytest.mark.parametrize("route", ["gateway", "direct"])
def test_a_body_over_the_limit_with_content_length_answers_413(
    world: World, service: str, route: str
) -> None:
    method, path, identity = WRITES[service]
    base = world.stack.gateway_url if route == "gateway" else world.stack.service_url(service)
    headers = {**world.headers(identity), "Content-Type": "application/json"}
    response = httpx.request(method, base + path, content=oversized(), headers=headers)
    assert_too_large(response)


@pytest.mark.parametrize("service", WRITES)
@pytest.mark.parametrize("route", ["gateway", "direct"])
def test_a_chunked_body_without_content_length_is_cut_off_at_the_limit(
    world: World, service: str, route: str
) -> None:
    method, path, identity = WRITES[service]
    base = world.stack.gateway_url if route == "gateway" else world.stack.service_url(service)
    headers = {**world.headers(identity), "Content-Type": "application/json"}
    request = httpx.Request(method, base + path, content=chunks(oversized()), headers=headers)
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    with httpx.Client(timeout=15) as client:
        assert_too_large(client.send(request))


def test_a_body_just_under_the_limit_is_read_and_validated(world: World) -> None:
    body = b'{"name": "' + b"x" * (LIMIT - 100) + b'"}'
    response = world.api.post(
        "/auth/customers", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422  # read whole, then refused for what it says


UNKNOWN_FIELDS: dict[str, tuple[str, str, str, Any]] = {
    "auth: a customer choosing their role": (
        "POST",
        "/auth/customers",
        "none",
        {"name": "A", "email": "a@example.com", "cpf": "{cpf}", "role": "admin"},
    ),
    "auth: a login with an extra factor the API does not know": (
        "POST",
        "/auth/staff/login",
        "none",
        {"username": "staff", "password": "staff-local-password", "otp": "000000"},
    ),
    "auth: an admin creating an account with its id": (
        "POST",
        "/auth/staff",
        "admin",
        {"username": "fields.test", "password": "a-long-password", "id": "x"},
    ),
    "catalog: staff setting a product's id": (
        "POST",
        "/catalog/products",
        "staff",
        {**PRODUCT, "id": "x"},
    ),
    "order: a customer pricing their own items": (
        "POST",
        "/order",
        "customer",
        {"items": [{"product_id": "{product}", "quantity": 1, "unit_price": "0.01"}]},
    ),
    "order: a customer ordering for someone else": (
        "POST",
        "/order",
        "customer",
        {"items": [{"product_id": "{product}", "quantity": 1}], "customer_id": "someone"},
    ),
}


def _fill(value: Any, world: World) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return {"{cpf}": random_cpf(), "{product}": world.product_id}.get(value, value)


@pytest.mark.parametrize("case", UNKNOWN_FIELDS)
def test_write_bodies_refuse_unknown_fields(world: World, case: str) -> None:
    method, path, identity, body = UNKNOWN_FIELDS[case]
    response = world.api.request(
        method, path, json=_fill(body, world), headers=world.headers(identity)
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"


def _open_objects(schema: Any, components: dict[str, Any], seen: set[str]) -> list[str]:
    """Names of object schemas reachable from `schema` that accept unknown properties."""
    if isinstance(schema, list):
        return [name for item in schema for name in _open_objects(item, components, seen)]
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref", "")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _open_objects(components[name], components, seen)
    found = []
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        found.append(schema.get("title", "<inline object>"))
    for key, value in schema.items():
        if key != "additionalProperties":
            found += _open_objects(value, components, seen)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_body_schema_is_closed(world: World, service: str) -> None:
    spec = ok(world.api.get(f"/{service}/openapi.json"))
    components = spec.get("components", {}).get("schemas", {})
    bodies = [
        (f"{method.upper()} {path}", op["requestBody"])
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    ]
    if service in ("payment", "production"):
        assert bodies == []  # nothing to smuggle: no JSON write bodies at all
    for where, body in bodies:
        assert _open_objects(body, components, set()) == [], where


@pytest.mark.parametrize("service", SERVICES)
def test_a_malformed_request_answers_a_documented_400(world: World, service: str) -> None:
    """Found by the fuzzer: a Content-Length that is not a number is refused by the HTTP
    server before any route runs, so every operation must document that 400."""
    spec = ok(world.api.get(f"/{service}/openapi.json"))
    undocumented = [
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "text/plain" not in op["responses"].get("400", {}).get("content", {})
    ]
    assert undocumented == []
    # HTTP clients refuse to send such a header: a raw request, as the fuzzer's got through.
    url = httpx.URL(world.stack.gateway_url)
    with socket.create_connection((url.host, url.port or 80), timeout=10) as raw:
        raw.sendall(
            f"POST /{service}/health HTTP/1.1\r\nHost: {url.host}\r\n"
            "Content-Length: {vR{!d(W0\r\n\r\n".encode()
        )
        head = raw.recv(4096).split(b"\r\n\r\n", 1)[0].lower()
    assert head.split()[1] == b"400", head
    assert b"content-type: text/plain" in head  # the server's refusal, documented as such
