"""Adapter: the catalog service's batch read, one HTTP call per order.

aiohttp rather than httpx on this hop: it is on every order's path, and httpx's client
took 16 % of the order API's CPU under load, several times aiohttp's cost per request
(docs/performance.md).
"""

from uuid import UUID

import aiohttp

from common.errors import ServiceUnavailable
from common.tracing import outgoing_headers
from order.domain import CatalogProduct


class CatalogClient:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, timeout: float) -> None:
        self._http = http
        self._url = f"{base_url.rstrip('/')}/products/batch"
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def products(self, product_ids: list[UUID]) -> dict[UUID, CatalogProduct]:
        try:
            async with self._http.get(
                self._url,
                params=[("ids", str(pid)) for pid in product_ids],
                headers=outgoing_headers(),  # the catalog's span joins the order's trace
                timeout=self._timeout,
            ) as response:
                response.raise_for_status()
                body = await response.json()
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise ServiceUnavailable("catalog is unavailable, try again") from exc
        return {
            UUID(p["id"]): CatalogProduct(id=UUID(p["id"]), name=p["name"], price=p["price"])
            for p in body["products"]
        }
