"""Forged, stale and malformed tokens: each answers 401 with the common error body, on every
service, through the gateway.

Most forgeries are signed with the stack's real signing key, so that each differs from a
genuine token in exactly one respect — the check under test is the only one that can
refuse it.
"""

import base64
import hashlib
import hmac
import json
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.security.conftest import PRODUCT, World, bearer

pytestmark = pytest.mark.e2e

# One protected route per service (the most common kind of each).
PROTECTED = {
    "auth": ("GET", "/auth/me", None),
    "catalog": ("POST", "/catalog/products", PRODUCT),
    "order": ("GET", "/order/mine", None),
    "payment": ("GET", f"/payment/order/{uuid.uuid4()}", None),
    "production": ("GET", "/production", None),
}
FOREIGN_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode()
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


class Forge:
    """Builds tokens like the stack's auth service does, with one thing changed."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.pem = world.signing_key_pem()
        staff_token = world.staff["Authorization"][7:]
        self.issuer = jwt.decode(staff_token, options={"verify_signature": False})["iss"]

    @property
    def now(self) -> int:
        return int(time.time())

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = self.now
        claims = {
            "iss": self.issuer,
            "aud": "fastfood-api",
            "sub": str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
            "role": "staff",
            "anonymous": False,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}  # None = leave out

    def sign(self, claims: dict[str, Any], *, key: str | None = None, **header: Any) -> str:
        headers = {"kid": self.world.kid, **header}
        return jwt.encode(claims, key or self.pem, algorithm="RS256", headers=headers)

    def token(self, **changes: Any) -> str:
        return self.sign(self.claims(**changes))

    def public_pem(self) -> bytes:
        key = serialization.load_pem_private_key(self.pem.encode(), password=None)
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def hs256_with_public_key(forge: Forge) -> str:
    """The key-confusion attack: HMAC keyed with the RSA public key, which anyone can fetch."""
    head = segment({"alg": "HS256", "typ": "JWT", "kid": forge.world.kid})
    signing_input = f"{head}.{segment(forge.claims(role='admin'))}"
    mac = hmac.new(forge.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def alg_none(forge: Forge) -> str:
    head = segment({"alg": "none", "typ": "JWT", "kid": forge.world.kid})
    return f"{head}.{segment(forge.claims(role='admin'))}."


def tampered(forge: Forge) -> str:
    """A genuine signature over a customer's claims, glued to claims that say admin."""
    head, _, signature = forge.token(role="customer").split(".")
    return f"{head}.{segment(forge.claims(role='admin'))}.{signature}"


def embedded_jwk(forge: Forge) -> str:
    """Signed by the attacker, who also ships their public key in the header (CVE-2018-0114)."""
    foreign = serialization.load_pem_private_key(FOREIGN_PEM.encode(), password=None)
    public = RSAAlgorithm.to_jwk(foreign.public_key(), as_dict=True)
    return forge.sign(forge.claims(), key=FOREIGN_PEM, jwk=public)


CASES: dict[str, Callable[[Forge], str]] = {
    "expired": lambda f: f.token(iat=f.now - 1200, nbf=f.now - 1200, exp=f.now - 60),
    "not yet valid": lambda f: f.token(nbf=f.now + 600),
    "issued in the future": lambda f: f.token(iat=f.now + 600, nbf=f.now - 10),
    "lifetime of a year": lambda f: f.token(exp=f.now + 365 * 86400),
    "wrong issuer": lambda f: f.token(iss="https://evil.example.com/auth"),
    "wrong audience": lambda f: f.token(aud="another-api"),
    "no audience": lambda f: f.token(aud=None),
    "no expiry": lambda f: f.token(exp=None),
    "no issued-at": lambda f: f.token(iat=None),
    "no not-before": lambda f: f.token(nbf=None),
    "no subject": lambda f: f.token(sub=None),
    "numeric subject": lambda f: f.token(sub=12345),
    "expiry as a string": lambda f: f.token(exp=str(f.now + 600)),
    "no role": lambda f: f.token(role=None),
    "unknown role": lambda f: f.token(role="superuser"),
    "role list": lambda f: f.token(role=["admin"]),
    "unknown kid": lambda f: f.sign(f.claims(), kid="rotated-long-ago"),
    "no kid": lambda f: jwt.encode(f.claims(), f.pem, algorithm="RS256"),
    "alg none": alg_none,
    "HS256 signed with the public key": hs256_with_public_key,
    "RS512 instead of RS256": lambda f: jwt.encode(
        f.claims(), f.pem, algorithm="RS512", headers={"kid": f.world.kid}
    ),
    "tampered payload": tampered,
    "truncated signature": lambda f: f.token()[:-20],
    "foreign key, known kid": lambda f: f.sign(f.claims(), key=FOREIGN_PEM),
    "foreign key in a jwk header": embedded_jwk,
    "jku pointing elsewhere": lambda f: f.sign(
        f.claims(), key=FOREIGN_PEM, jku="https://evil.example.com/jwks.json"
    ),
    "garbage": lambda f: "not-a-jwt",
    "three garbage segments": lambda f: "aaa.bbb.ccc",
    "huge token": lambda f: "eyJ" + "A" * 6000,
}
HEADERS: dict[str, Callable[[Forge], dict[str, str]]] = {
    "no authorization header": lambda f: {},
    "scheme only": lambda f: {"Authorization": "Bearer"},
    "basic scheme with a real token": lambda f: {"Authorization": f"Basic {f.token()}"},
    "token scheme with a real token": lambda f: {"Authorization": f"Token {f.token()}"},
    **{name: (lambda f, make=make: bearer(make(f))) for name, make in CASES.items()},
}


GATEWAY_401 = {"message": "Unauthorized"}  # API Gateway's own answer, nothing more


def raw_request(
    world: World, service: str, authorization: bytes, base_url: str | None = None
) -> tuple[int, dict[str, Any]]:
    """HTTP/1.1 by hand: httpx refuses to send a header value with trailing whitespace."""
    method, path, body = PROTECTED[service]
    content = json.dumps(body).encode() if body else b""
    host, port = (base_url or world.stack.gateway_url).removeprefix("http://").split(":")
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b"Authorization: " + authorization + b"\r\n\r\n" + content)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    if b"transfer-encoding: chunked" in rest.lower().partition(b"\r\n\r\n")[0]:
        payload = payload.partition(b"\r\n")[2].rpartition(b"\r\n0\r\n")[0]
    return int(status_line.split()[1]), json.loads(payload)


@pytest.mark.parametrize("value", [b"Bearer ", b"Bearer \t ", b"bearer"])
def test_an_empty_bearer_token_is_refused_by_every_service(world: World, value: bytes) -> None:
    for service in PROTECTED:
        # The gateway's JWT authorizer refuses it first, as API Gateway answers...
        assert raw_request(world, service, value) == (401, GATEWAY_401), service
        # ...and the service, reached from inside the VPC, refuses it too.
        status, body = raw_request(world, service, value, world.stack.service_url(service))
        assert (status, body["error"]) == (401, "unauthorized"), (service, body)


@pytest.fixture(scope="module")
def forge(world: World) -> Forge:
    return Forge(world)


def send(world: World, service: str, headers: dict[str, str], base_url: str = "") -> Any:
    method, path, body = PROTECTED[service]
    return world.api.request(method, base_url + path, json=body, headers=headers)


@pytest.mark.parametrize("service", PROTECTED)
def test_a_genuine_forged_token_gets_in(world: World, forge: Forge, service: str) -> None:
    """The control: the forge's baseline token is accepted, so each refusal below is due to
    the one thing the case changed."""
    response = send(world, service, bearer(forge.token()))
    assert response.status_code in (200, 201, 404), response.text  # 404: no such payment


@pytest.mark.parametrize("case", HEADERS)
def test_hostile_token_is_refused_with_401_by_every_service(
    world: World, forge: Forge, case: str
) -> None:
    headers = HEADERS[case](forge)
    for service in PROTECTED:
        # The gateway's JWT authorizer (API Gateway's on AWS) refuses before the service...
        response = send(world, service, headers)
        assert (response.status_code, response.json()) == (401, GATEWAY_401), service
        # ...and the service refuses on its own too (defence in depth, from inside the VPC).
        response = send(world, service, headers, world.stack.service_url(service))
        assert response.status_code == 401, f"{service}: {response.status_code} {response.text}"
        body = response.json()
        assert set(body) == {"error", "detail", "correlation_id"}, body
        assert body["error"] == "unauthorized"
        assert body["correlation_id"] == response.headers["x-correlation-id"]
        assert response.headers["www-authenticate"] == "Bearer"
