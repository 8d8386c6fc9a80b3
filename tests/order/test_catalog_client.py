"""The order API's catalog adapter against a real HTTP server: one batched call, trace
headers passed on, and every way the catalog can fail turned into a 503-class error."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID, uuid4

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from common.errors import ServiceUnavailable
from common.logging import set_correlation_id
from order.catalog import CatalogClient

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BURGER, SODA = uuid4(), uuid4()


async def _serve(handler: Handler) -> AsyncIterator[tuple[CatalogClient, list[web.Request]]]:
    seen: list[web.Request] = []

    async def recording(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        return await handler(request)

    app = web.Application()
    app.router.add_get("/catalog/products/batch", recording)
    async with (
        TestServer(app, host="127.0.0.1") as server,
        aiohttp.ClientSession() as http,
    ):
        yield CatalogClient(http, str(server.make_url("/catalog")), timeout=0.5), seen


async def _products(request: web.Request) -> web.Response:
    names = {str(BURGER): ("X-Burger", "25.90"), str(SODA): ("Refrigerante", "7.50")}
    ids = request.query.getall("ids")
    found = [{"id": i, "name": names[i][0], "price": names[i][1]} for i in ids if i in names]
    return web.json_response({"products": found, "missing": []})


async def test_one_call_carries_every_id_and_the_trace() -> None:
    async for client, seen in _serve(_products):
        set_correlation_id("5f0c6a56-8a4b-4d4e-9a4c-2f4a3c1d2e10")
        try:
            products = await client.products([BURGER, SODA, uuid4()])
        finally:
            set_correlation_id(None)
        assert {p.name for p in products.values()} == {"X-Burger", "Refrigerante"}
        assert str(products[BURGER].price) == "25.90"
        assert len(seen) == 1
        assert len(seen[0].query.getall("ids")) == 3
        assert seen[0].headers["x-correlation-id"] == "5f0c6a56-8a4b-4d4e-9a4c-2f4a3c1d2e10"


async def _server_error(_: web.Request) -> web.Response:
    return web.json_response({"error": "boom"}, status=500)


async def _slow(_: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.json_response({"products": []})


async def _not_json(_: web.Request) -> web.Response:
    return web.Response(text="<html>gateway error</html>", content_type="application/json")


@pytest.mark.parametrize("handler", [_server_error, _slow, _not_json])
async def test_a_failing_catalog_is_service_unavailable(handler: Handler) -> None:
    async for client, _ in _serve(handler):
        with pytest.raises(ServiceUnavailable):
            await client.products([BURGER])


async def test_an_unreachable_catalog_is_service_unavailable() -> None:
    async with aiohttp.ClientSession() as http:
        client = CatalogClient(http, "http://127.0.0.1:9/catalog", timeout=0.5)
        with pytest.raises(ServiceUnavailable):
            await client.products([UUID(int=1)])
