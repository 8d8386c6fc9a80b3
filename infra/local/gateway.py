"""Local stand-in for API Gateway (HTTP API) + the ALB: one port, routed by path prefix.

`python -m infra.local.gateway --port 8080 --route auth=http://127.0.0.1:8101 ...`

It is as strict as the HTTP API in front of the services on AWS, so what would break there
breaks here first:
- the route table of infra/terraform/routes.json (the one Terraform deploys): public routes
  pass as they are, `/{svc}/metrics` is refused (403), everything else needs a JWT that the
  gateway verifies itself — issuer, audience, expiry, signature — before the service sees
  the request (401 `{"message":"Unauthorized"}`, as API Gateway answers);
- the request line and headers may take 10 KiB, the body 10 MB (413, whether the client
  declared a Content-Length or streams the body), and the body is read whole before anything
  is forwarded: a client that leaves mid-body costs one log line (499), not a half request;
- responses are buffered whole before their first byte goes out (HTTP APIs do not stream),
  and an integration still running after the route table's timeout (29 s) is cut: 504
  `{"message":"Endpoint request timed out"}`; an unreachable service is 503.
`--streaming` (or GATEWAY_STREAMING=1) streams responses through with no timeout instead,
for debugging only: SSE works there in ways it cannot on AWS.
"""

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from common.errors import Unauthorized
from common.logging import configure_logging, get_logger
from common.security import JwtVerifier, jwks_from_url
from infra.local.routes import Auth, RouteTable

log = get_logger("gateway")

MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API payload quota: 10 MB
MAX_HEADER_BYTES = 10 * 1024  # request line + header values: 10240 bytes
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


@dataclass(frozen=True)
class GatewayConfig:
    routes: dict[str, str]  # path prefix ("order") -> upstream base URL
    issuer: str
    audience: str
    jwks_url: str
    streaming: bool = False
    table: RouteTable | None = None  # default: infra/terraform/routes.json
    max_body_bytes: int = MAX_BODY_BYTES
    integration_timeout: float | None = None  # default: the route table's


def message(status: int, text: str) -> JSONResponse:
    """API Gateway's own answers carry only `{"message": ...}`."""
    return JSONResponse({"message": text}, status_code=status)


def _header_bytes(request: Request) -> int:
    target = request.scope.get("raw_path", b"") + b"?" + request.scope.get("query_string", b"")
    line = len(request.method) + len(target) + len(" HTTP/1.1")
    return line + sum(len(k) + len(v) + 4 for k, v in request.scope["headers"])


def _bearer(value: str | None) -> str | None:
    """The JWT authorizer takes the token with or without its `Bearer ` prefix."""
    if not value or not value.strip():
        return None
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() or None if scheme.lower() == "bearer" else value.strip()


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused as soon as it passes `limit` (declared or not)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_gateway(config: GatewayConfig) -> Starlette:
    table = config.table or RouteTable.load(sorted(config.routes))
    timeout = config.integration_timeout or table.integration_timeout_seconds
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(None, connect=5.0),  # buffered: a total deadline, below
        limits=httpx.Limits(max_connections=200),
    )
    verifier = JwtVerifier(
        jwks_from_url(config.jwks_url, client), issuer=config.issuer, audience=config.audience
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    async def authorize(request: Request) -> Response | None:
        auth = table.match(request.method, request.url.path)
        if auth is Auth.PUBLIC:
            return None
        if auth is Auth.DENIED:
            return message(403, "Forbidden")
        if auth is Auth.QUERY_JWT:
            token = _bearer(request.query_params.get(table.query_token_parameter))
        else:
            token = _bearer(request.headers.get("authorization"))
        if token is None:
            return message(401, "Unauthorized")
        try:
            await verifier.verify(token)
        except Unauthorized:
            return message(401, "Unauthorized")
        return None

    async def proxy(request: Request) -> Response:
        if _header_bytes(request) > MAX_HEADER_BYTES:
            return message(431, "Request Header Fields Too Large")
        refused = await authorize(request)
        if refused is not None:
            return refused
        prefix = request.url.path.lstrip("/").split("/", 1)[0]
        upstream = config.routes.get(prefix)
        try:
            body = await read_body(request, config.max_body_bytes)
        except TooLarge:
            return message(413, "Request Entity Too Large")
        except ClientDisconnect:
            return _client_left(request, "while sending the body")
        if upstream is None:  # the ALB's default action
            return JSONResponse(
                {"error": "not_found", "detail": "no service serves this path"}, status_code=404
            )
        return await forward(request, upstream + _target(request), body)

    async def forward(request: Request, url: str, body: bytes) -> Response:
        headers = [
            (k, v.strip()) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP
        ]
        headers.append(("x-forwarded-for", request.client.host if request.client else "unknown"))
        try:
            upstream_request = client.build_request(
                request.method, url, headers=headers, content=body
            )
        except (httpx.InvalidURL, httpx.LocalProtocolError) as exc:  # no client may send that
            return JSONResponse(
                {"error": "bad_request", "detail": str(exc), "correlation_id": None},
                status_code=400,
            )
        if config.streaming:
            return await _stream(upstream_request)
        exchange = asyncio.ensure_future(_buffered(upstream_request))
        left = asyncio.ensure_future(_disconnected(request))
        done, _ = await asyncio.wait({exchange, left}, return_when=asyncio.FIRST_COMPLETED)
        if exchange not in done:  # nobody to answer: stop the service's work (an SSE wait)
            exchange.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await exchange
            return _client_left(request, "before the response")
        left.cancel()
        return exchange.result()

    async def _buffered(upstream_request: httpx.Request) -> Response:
        """The whole response, or API Gateway's 504 once the integration timeout passed
        (a total deadline: an SSE stream's heartbeats must not keep it alive)."""
        try:
            async with asyncio.timeout(timeout):
                upstream = await client.send(upstream_request, stream=True)
                try:
                    content = b"".join([chunk async for chunk in upstream.aiter_raw()])
                finally:
                    await upstream.aclose()
        except TimeoutError:
            log.warning(
                "504 %s %s: integration timed out", upstream_request.method, _path(upstream_request)
            )
            return message(504, "Endpoint request timed out")
        except httpx.HTTPError:
            return message(503, "Service Unavailable")
        return Response(content, status_code=upstream.status_code, headers=_out(upstream))

    async def _stream(upstream_request: httpx.Request) -> Response:
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.HTTPError:
            return message(503, "Service Unavailable")
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=_out(upstream),
            background=BackgroundTask(upstream.aclose),
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    return Starlette(routes=[Route("/{path:path}", proxy, methods=methods)], lifespan=lifespan)


def _target(request: Request) -> str:
    # Path and query as received, still percent-encoded: decoded, "%04" would be a raw
    # control character no URL may carry, and a dict of params keeps one `ids=` of many.
    target = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    if request.scope.get("query_string"):
        target += "?" + request.scope["query_string"].decode("latin-1")
    return target


def _path(upstream_request: httpx.Request) -> str:
    return upstream_request.url.path  # never the query: it may carry a token


def _out(upstream: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}


async def _disconnected(request: Request) -> None:
    """Returns once the client has gone (the body was read already: only that can come)."""
    while True:
        received = await request.receive()
        if received["type"] == "http.disconnect":
            return


def _client_left(request: Request, when: str) -> Response:
    # nginx's 499: the client closed the connection; there is no one to answer.
    log.info("499 %s %s: client closed the connection %s", request.method, request.url.path, when)
    return Response(status_code=499)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--route", action="append", default=[], help="prefix=http://host:port")
    parser.add_argument("--issuer", default=os.environ.get("JWT_ISSUER", ""))
    parser.add_argument("--audience", default=os.environ.get("JWT_AUDIENCE", "fastfood-api"))
    parser.add_argument(
        "--jwks-url",
        default=os.environ.get("JWKS_URL", ""),
        help="default: JWKS_URL, else the auth route's /auth/.well-known/jwks.json",
    )
    parser.add_argument(
        "--streaming",
        action="store_true",
        default=os.environ.get("GATEWAY_STREAMING", "") not in ("", "0", "false"),
        help="debugging only: stream responses, no integration timeout (AWS buffers)",
    )
    args = parser.parse_args()
    routes = dict(item.split("=", 1) for item in args.route)
    jwks_url = args.jwks_url or f"{routes.get('auth', '')}/auth/.well-known/jwks.json"
    issuer = args.issuer or f"http://localhost:{args.port}/auth"
    config = GatewayConfig(routes, issuer, args.audience, jwks_url, streaming=args.streaming)
    configure_logging("gateway", os.environ.get("LOG_LEVEL", "INFO"))
    log.info("gateway mode: %s", "streaming (debugging)" if args.streaming else "http-api")
    uvicorn.run(create_gateway(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
