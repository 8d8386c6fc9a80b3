"""Kitchen tickets in DynamoDB (aioboto3 low-level client): the only module that talks Dynamo.

Every write is one TransactWriteItems call: the inbox marker of the event that caused it,
the ticket change, and the outbox item of the event it produces (common.dynamo).
"""

import asyncio
from collections.abc import Collection
from typing import Any

from common.dynamo import ConditionFailed, from_item, inbox_put, outbox_puts, to_item, transact
from common.events import Envelope
from production.domain import Ticket, TicketStatus

STATUS_INDEX = "status-index"  # common/resources.json


class TicketRepository:
    def __init__(
        self, dynamodb: Any, *, tickets_table: str, outbox_table: str, inbox_table: str
    ) -> None:
        self._dynamodb = dynamodb
        self._tickets = tickets_table
        self._outbox = outbox_table
        self._inbox = inbox_table

    async def ping(self) -> None:
        await self._dynamodb.describe_table(TableName=self._tickets)

    async def get(self, production_id: str) -> Ticket | None:
        response = await self._dynamodb.get_item(
            TableName=self._tickets,
            Key=to_item({"production_id": production_id}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _ticket(item) if item else None

    async def list_by_status(self, statuses: Collection[TicketStatus]) -> list[Ticket]:
        """One Query of the status index per status: a kitchen screen polls this every second,
        and a Scan would read every ticket ever made. Index reads are eventually consistent
        (a change shows up a moment later, the next poll at the latest)."""
        pages = await asyncio.gather(*(self._with_status(status) for status in sorted(statuses)))
        return [ticket for page in pages for ticket in page]

    async def _with_status(self, status: TicketStatus) -> list[Ticket]:
        request: dict[str, Any] = {
            "TableName": self._tickets,
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": to_item({":s": status.value}),
        }
        tickets: list[Ticket] = []
        while True:
            response = await self._dynamodb.query(**request)
            tickets.extend(_ticket(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return tickets
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    async def create(self, ticket: Ticket, *, cause: Envelope[Any]) -> bool:
        put = {
            "Put": {
                "TableName": self._tickets,
                "Item": _item(ticket),
                "ConditionExpression": "attribute_not_exists(production_id)",
            }
        }
        try:
            await transact(self._dynamodb, [inbox_put(self._inbox, cause), put])
        except ConditionFailed:
            return False
        return True

    async def save_change(
        self,
        before: Ticket,
        after: Ticket,
        *,
        cause: Envelope[Any] | None = None,
        event: Envelope[Any] | None = None,
    ) -> bool:
        items = [inbox_put(self._inbox, cause)] if cause is not None else []
        items.append(self._conditional_update(before, after))
        if event is not None:
            items.extend(outbox_puts(self._outbox, event))
        try:
            await transact(self._dynamodb, items)
        except ConditionFailed:
            return False
        return True

    async def record_processed(self, cause: Envelope[Any]) -> None:
        await transact(self._dynamodb, [inbox_put(self._inbox, cause)])

    def _conditional_update(self, before: Ticket, after: Ticket) -> dict[str, Any]:
        """SET the attributes that changed, only if the stored ticket is still `before`."""
        old, new = _attributes(before), _attributes(after)
        changed = sorted(k for k, v in new.items() if old.get(k) != v)
        names = {f"#a{i}": key for i, key in enumerate(changed)}
        values = {f":a{i}": new[key] for i, key in enumerate(changed)}
        # Optimistic concurrency: of two staff clicking at once, exactly one write lands.
        names["#s"] = "status"
        values |= {":expected": before.status.value, ":v": before.version}
        return {
            "Update": {
                "TableName": self._tickets,
                "Key": to_item({"production_id": before.production_id}),
                "UpdateExpression": "SET "
                + ", ".join(f"#a{i} = :a{i}" for i in range(len(changed))),
                "ConditionExpression": "#s = :expected AND version = :v",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
            }
        }


def _attributes(ticket: Ticket) -> dict[str, Any]:
    return {k: v for k, v in ticket.model_dump(mode="json").items() if v is not None}


def _item(ticket: Ticket) -> dict[str, Any]:
    return to_item(_attributes(ticket))


def _ticket(item: dict[str, Any]) -> Ticket:
    return Ticket.model_validate(from_item(item))
