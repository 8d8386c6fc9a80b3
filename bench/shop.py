"""The bench's customers, staff and menu, created through the gateway like a totem would."""

from dataclasses import dataclass, field
from typing import Any

import httpx

from infra.local.demo import DEMO_PRODUCTS, LOCAL_STAFF


@dataclass
class Shop:
    staff: dict[str, str]
    product_ids: list[str]
    customers: list[dict[str, str]] = field(default_factory=list)

    def order_body(self, index: int) -> dict[str, Any]:
        return {
            "items": [
                {
                    "product_id": self.product_ids[0],
                    "quantity": 1 + index % 3,
                    "notes": "sem cebola",
                },
                {"product_id": self.product_ids[1], "quantity": 1},
            ]
        }

    def customer(self, index: int) -> dict[str, str]:
        return self.customers[index % len(self.customers)]


def _bearer(response: httpx.Response) -> dict[str, str]:
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def open_shop(api: httpx.AsyncClient, customers: int = 16) -> Shop:
    username, password = LOCAL_STAFF
    staff = _bearer(
        await api.post("/auth/staff/login", json={"username": username, "password": password})
    )
    listed = {p["name"]: p for p in (await api.get("/catalog/products")).json()}
    ids = []
    for spec in DEMO_PRODUCTS:
        product = listed.get(spec["name"])
        if product is None:
            created = await api.post("/catalog/products", json=spec, headers=staff)
            created.raise_for_status()
            product = created.json()
        ids.append(product["id"])
    shop = Shop(staff, ids)
    for _ in range(customers):
        shop.customers.append(_bearer(await api.post("/auth/token/anonymous")))
    return shop
