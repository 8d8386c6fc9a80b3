"""Staff routes of the kitchen (mounted under /production): parse, call service, map result."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from common.security import StaffUser
from production import service
from production.domain import Action, Ticket, TicketStatus
from production.service import TicketStore

router = APIRouter(
    tags=["production"],
    responses={
        401: {"description": "Missing or invalid bearer token"},
        403: {"description": "Not a staff token"},
    },
)

_ILLEGAL: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Illegal transition from the ticket's current status "
        "(including repeating the last one)"
    },
    404: {"description": "Unknown ticket"},
}


async def get_repository(request: Request) -> TicketStore:
    repository: TicketStore = request.app.state.repository
    return repository


Repository = Annotated[TicketStore, Depends(get_repository)]


class TicketItemOut(BaseModel):
    name: str
    quantity: int
    notes: str | None


class TicketOut(BaseModel):
    production_id: str
    order_id: UUID
    display_number: str | None
    status: TicketStatus
    items: list[TicketItemOut]
    customer_name: str | None
    received_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketOut":
        return cls.model_validate(
            ticket.model_dump(exclude={"correlation_id", "version", "cancelled_at"})
        )


@router.get("", response_model=list[TicketOut], summary="Kitchen queue, oldest first")
async def list_tickets(
    _: StaffUser,
    repository: Repository,
    status: Annotated[
        TicketStatus | None,
        Query(description="Only tickets in this status (default: every active ticket)"),
    ] = None,
) -> list[TicketOut]:
    return [TicketOut.of(t) for t in await service.list_tickets(repository, status)]


@router.get("/{production_id}", response_model=TicketOut, responses={404: _ILLEGAL[404]})
async def get_ticket(production_id: UUID, _: StaffUser, repository: Repository) -> TicketOut:
    return TicketOut.of(await service.get_ticket(repository, str(production_id)))


@router.put(
    "/{production_id}/started",
    response_model=TicketOut,
    responses=_ILLEGAL,
    summary="RECEIVED → IN_PREPARATION",
)
async def start(
    production_id: UUID, _: StaffUser, repository: Repository, request: Request
) -> TicketOut:
    return await _advance(request, repository, production_id, Action.STARTED)


@router.put(
    "/{production_id}/completed",
    response_model=TicketOut,
    responses=_ILLEGAL,
    summary="IN_PREPARATION → READY",
)
async def complete(
    production_id: UUID, _: StaffUser, repository: Repository, request: Request
) -> TicketOut:
    return await _advance(request, repository, production_id, Action.COMPLETED)


@router.put(
    "/{production_id}/delivered",
    response_model=TicketOut,
    responses=_ILLEGAL,
    summary="READY → DELIVERED",
)
async def deliver(
    production_id: UUID, _: StaffUser, repository: Repository, request: Request
) -> TicketOut:
    return await _advance(request, repository, production_id, Action.DELIVERED)


async def _advance(
    request: Request, repository: TicketStore, production_id: UUID, action: Action
) -> TicketOut:
    ticket = await service.advance_ticket(repository, str(production_id), action)
    feed = getattr(request.app.state, "kitchen_feed", None)
    if feed is not None:  # kitchen screens see the change now, not at the next poll
        feed.nudge()
    return TicketOut.of(ticket)
