"""Adapter: the catalog service's batch read, one HTTP call per order (SPEC §1.2)."""

from uuid import UUID

import httpx

from common.errors import ServiceUnavailable
from common.tracing import outgoing_headers
from order.domain import CatalogProduct


class CatalogClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout: float) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout

    async def products(self, product_ids: list[UUID]) -> dict[UUID, CatalogProduct]:
        try:
            response = await self._http.get(
                f"{self._base_url}/products/batch",
                params=[("ids", str(pid)) for pid in product_ids],
                headers=outgoing_headers(),  # the catalog's span joins the order's trace
                timeout=self._timeout,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("catalog is unavailable, try again") from exc
        return {
            UUID(p["id"]): CatalogProduct(id=UUID(p["id"]), name=p["name"], price=p["price"])
            for p in response.json()["products"]
        }
