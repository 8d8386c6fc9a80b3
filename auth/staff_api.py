"""Admin-only management of staff accounts: create, list, deactivate (never delete)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from auth import service
from auth.dependencies import Hasher, StaffAccounts
from auth.domain import USERNAME_PATTERN
from auth.schemas import StaffIn, StaffOut
from common.security import AdminUser

router = APIRouter(
    prefix="/staff",
    tags=["staff accounts"],
    responses={
        401: {"description": "Missing or invalid bearer token"},
        403: {"description": "Not an admin token"},
    },
)


Username = Annotated[str, Path(pattern=USERNAME_PATTERN)]
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "Username already taken"}}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=StaffOut, responses=_CONFLICT)
async def add_staff(
    body: StaffIn, repo: StaffAccounts, hasher: Hasher, admin: AdminUser
) -> StaffOut:
    account = await service.add_staff_account(
        repo,
        hasher,
        username=body.username,
        password=body.password,
        role=body.role,
        by=admin.subject,
    )
    return StaffOut.of(account)


@router.get("", response_model=list[StaffOut])
async def list_staff(repo: StaffAccounts, _: AdminUser) -> list[StaffOut]:
    return [StaffOut.of(a) for a in await service.list_staff_accounts(repo)]


@router.delete(
    "/{username}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        404: {"description": "No such account"},
        409: {"description": "Own account, or the last active admin"},
    },
)
async def deactivate_staff(username: Username, repo: StaffAccounts, admin: AdminUser) -> Response:
    await service.deactivate_staff_account(repo, username=username, by=admin.subject)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
