"""The kitchen list reads the status index, never the whole tickets table."""

import uuid
from datetime import UTC, datetime
from typing import Any

from common.dynamo import from_item
from production.domain import ACTIVE_STATUSES, Ticket, TicketItem, TicketStatus
from production.repository import STATUS_INDEX, TicketRepository, _item


def ticket(status: TicketStatus) -> Ticket:
    return Ticket(
        production_id=str(uuid.uuid4()),
        order_id=uuid.uuid4(),
        status=status,
        items=(TicketItem(name="X-Burger", quantity=1),),
        correlation_id=uuid.uuid4(),
        received_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
    )


class IndexOnlyTable:
    """Answers Query on the status index, a page at a time; has no Scan at all."""

    def __init__(self, tickets: list[Ticket], page_size: int = 2) -> None:
        self._items = [_item(t) for t in tickets]
        self._page_size = page_size
        self.queries: list[dict[str, Any]] = []

    async def query(self, **request: Any) -> dict[str, Any]:
        self.queries.append(request)
        assert request["IndexName"] == STATUS_INDEX
        status = from_item(request["ExpressionAttributeValues"])[":s"]
        matching = [i for i in self._items if from_item(i)["status"] == status]
        start = int(request.get("ExclusiveStartKey", {}).get("n", 0))
        page = matching[start : start + self._page_size]
        response: dict[str, Any] = {"Items": page}
        if start + self._page_size < len(matching):
            response["LastEvaluatedKey"] = {"n": start + self._page_size}
        return response


async def test_active_tickets_come_from_one_query_per_status_with_every_page() -> None:
    stored = [ticket(TicketStatus.RECEIVED) for _ in range(5)] + [
        ticket(TicketStatus.READY),
        ticket(TicketStatus.DELIVERED),
        ticket(TicketStatus.CANCELLED),
    ]
    table = IndexOnlyTable(stored)
    repository = TicketRepository(
        table, tickets_table="tickets", outbox_table="outbox", inbox_table="inbox"
    )

    listed = await repository.list_by_status(ACTIVE_STATUSES)

    assert sorted(t.production_id for t in listed) == sorted(
        t.production_id for t in stored if t.status in ACTIVE_STATUSES
    )
    first_pages = [q for q in table.queries if "ExclusiveStartKey" not in q]
    assert len(first_pages) == len(ACTIVE_STATUSES)
    assert len(table.queries) == len(ACTIVE_STATUSES) + 2  # RECEIVED: 5 tickets, 3 pages
