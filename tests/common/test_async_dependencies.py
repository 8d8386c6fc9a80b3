"""No route of any service runs a plain `def` on the threadpool.

FastAPI runs a sync endpoint or dependency in a worker thread: a thread hop, and GIL
hand-offs, on every request. The order API's profile showed 7 % of its CPU there, for
dependencies that only read `request.app.state` (docs/performance.md). Every endpoint
and dependency is therefore `async def` (or a class with an async `__call__`).
"""

import inspect
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from auth.api import router as auth_router
from auth.staff_api import router as staff_router
from catalog.api import router as catalog_router
from order.api import router as order_router
from order.tracking import router as order_tracking_router
from payment.api import router as payment_router
from production.api import router as production_router
from production.tracking import router as kitchen_router

ROUTERS = {
    "auth": auth_router,
    "auth-staff": staff_router,
    "catalog": catalog_router,
    "order": order_router,
    "order-tracking": order_tracking_router,
    "payment": payment_router,
    "production": production_router,
    "production-kitchen": kitchen_router,
}


def _calls(dependant: Dependant) -> Iterator[object]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _runs_on_the_threadpool(call: object) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return False
    if inspect.isclass(call):
        return True  # FastAPI instantiates a class dependency in a worker thread
    return not inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


@pytest.mark.parametrize("name", sorted(ROUTERS))
def test_every_endpoint_and_dependency_is_async(name: str) -> None:
    router: APIRouter = ROUTERS[name]
    routes = [route for route in router.routes if isinstance(route, APIRoute)]
    assert routes, f"{name} has no routes"
    sync = sorted(
        {
            f"{route.path}: {getattr(call, '__qualname__', repr(call))}"
            for route in routes
            for call in _calls(route.dependant)
            if _runs_on_the_threadpool(call)
        }
    )
    assert sync == []
