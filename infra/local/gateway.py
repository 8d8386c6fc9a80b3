"""Local stand-in for API Gateway + ALB: one port, routed by path prefix exactly as the ALB rules.

`python -m infra.local.gateway --port 8080 --route auth=http://127.0.0.1:8101 ...`
Responses are streamed (server-sent events pass through), hop-by-hop headers dropped.
"""

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

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


def create_gateway(routes: dict[str, str]) -> Starlette:
    """`routes` maps a path prefix ("order") to the upstream base URL serving it."""
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, connect=5.0), limits=httpx.Limits(max_connections=200)
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    async def proxy(request: Request) -> Response:
        prefix = request.url.path.lstrip("/").split("/", 1)[0]
        upstream = routes.get(prefix)
        if upstream is None:
            return JSONResponse(
                {"error": "not_found", "detail": "no service at this path", "correlation_id": None},
                status_code=404,
            )
        # Values without surrounding whitespace, as HTTP defines them (httpx refuses to send
        # "Bearer " as is; the service must see it, and answer 401, not the gateway 502).
        headers = [
            (k, v.strip()) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP
        ]
        client_host = request.client.host if request.client else "unknown"
        headers.append(("x-forwarded-for", client_host))
        # Path and query as received, still percent-encoded: decoded, "%04" would be a raw
        # control character no URL may carry, and a dict of params keeps one `ids=` of many.
        target = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        if request.scope.get("query_string"):
            target += "?" + request.scope["query_string"].decode("latin-1")
        try:
            upstream_request = client.build_request(
                request.method, upstream + target, headers=headers, content=request.stream()
            )
            upstream_response = await client.send(upstream_request, stream=True)
        except (httpx.InvalidURL, httpx.LocalProtocolError) as exc:  # no client may send that
            return JSONResponse(
                {"error": "bad_request", "detail": str(exc), "correlation_id": None},
                status_code=400,
            )
        except httpx.HTTPError:
            return JSONResponse(
                {
                    "error": "bad_gateway",
                    "detail": f"{prefix} is unreachable",
                    "correlation_id": None,
                },
                status_code=502,
            )
        return StreamingResponse(
            upstream_response.aiter_raw(),
            status_code=upstream_response.status_code,
            headers={
                k: v for k, v in upstream_response.headers.items() if k.lower() not in HOP_BY_HOP
            },
            background=BackgroundTask(upstream_response.aclose),
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    return Starlette(routes=[Route("/{path:path}", proxy, methods=methods)], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--route", action="append", default=[], help="prefix=http://host:port")
    args = parser.parse_args()
    routes = dict(item.split("=", 1) for item in args.route)
    uvicorn.run(create_gateway(routes), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
