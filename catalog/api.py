"""Catalog HTTP API: public reads of active products, staff/admin writes."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from catalog import service
from catalog.domain import MAX_BATCH_IDS, Category
from catalog.schemas import BatchOut, CategoryOut, ProductIn, ProductOut, ProductUpdateIn
from catalog.service import ProductRepository
from common.security import StaffUser

router = APIRouter(tags=["catalog"])


async def _repository(request: Request) -> ProductRepository:
    repository: ProductRepository = request.app.state.repository
    return repository


Repository = Annotated[ProductRepository, Depends(_repository)]


@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(repo: Repository) -> list[CategoryOut]:
    return [
        CategoryOut(id=c.id, name=Category(c.name)) for c in await service.list_categories(repo)
    ]


@router.get("/products", response_model=list[ProductOut])
async def list_products(repo: Repository, category: Category | None = None) -> list[ProductOut]:
    return [ProductOut.of(p) for p in await service.list_products(repo, category)]


# Declared before /products/{product_id}, which would otherwise claim "batch".
@router.get("/products/batch", response_model=BatchOut)
async def get_products_batch(
    repo: Repository,
    ids: Annotated[list[UUID], Query(min_length=1, max_length=MAX_BATCH_IDS)],
) -> BatchOut:
    result = await service.get_products_batch(repo, ids)
    return BatchOut(products=[ProductOut.of(p) for p in result.products], missing=result.missing)


@router.get("/products/{product_id}", response_model=ProductOut)
async def get_product(product_id: UUID, repo: Repository) -> ProductOut:
    return ProductOut.of(await service.get_product(repo, product_id))


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductOut)
async def create_product(body: ProductIn, repo: Repository, _: StaffUser) -> ProductOut:
    return ProductOut.of(await service.create_product(repo, body))


@router.put("/products/{product_id}", response_model=ProductOut)
async def update_product(
    product_id: UUID, body: ProductUpdateIn, repo: Repository, _: StaffUser
) -> ProductOut:
    product = await service.update_product(repo, product_id, body, body.active)
    return ProductOut.of(product)


@router.delete(
    "/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def delete_product(product_id: UUID, repo: Repository, _: StaffUser) -> Response:
    await service.deactivate_product(repo, product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
