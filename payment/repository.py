"""DynamoDB persistence of payments: every write is one transaction with its inbox/outbox items.

Optimistic concurrency: each item carries `version`; an update is conditional on the version
that was read, so two concurrent webhooks for the same change produce one event.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from common.dynamo import INBOX_RETENTION_SECONDS, from_item, inbox_put, outbox_puts, to_item
from common.dynamo import transact as transact_items
from common.events import Envelope, OrderPaymentRequested
from payment.domain import Payment, PaymentStatus

ORDER_INDEX = "order_id-index"
# Sparse index: only items with work for the reconciler carry `reconcile_due`, so its query
# reads the open work, never the whole table.
RECONCILE_INDEX = "reconcile-index"
DUE = "due"
CREATION_PREFIX = "creation:"
# In `create`'s transaction item 1 is the payment (exists: another delivery won) and item 2
# the check that the order was not cancelled meanwhile.
CREATE_CANCELLED_CHECK = 2


@dataclass(frozen=True)
class Tables:
    payments: str
    outbox: str
    inbox: str


def _cancelled_marker_id(order_id: str) -> str:
    return f"order-cancelled:{order_id}"


def to_record(payment: Payment) -> dict[str, Any]:
    record: dict[str, Any] = {
        "payment_id": payment.payment_id,
        "order_id": payment.order_id,
        "customer_id": payment.customer_id,
        "amount": f"{payment.amount:.2f}",
        "status": payment.status.value,
        "status_detail": payment.status_detail,
        "qr_code": payment.qr_code,
        "qr_code_base64": payment.qr_code_base64,
        "ticket_url": payment.ticket_url,
        "expires_at": payment.expires_at.isoformat(),
        "created_at": payment.created_at.isoformat(),
        "updated_at": payment.updated_at.isoformat(),
        "version": payment.version,
        "late_approval": payment.late_approval,
        "needs_refund": payment.needs_refund,
        "correlation_id": payment.correlation_id,
        "approved_at": payment.approved_at.isoformat() if payment.approved_at else None,
        "refund_reason": payment.refund_reason,
        "paid_amount": f"{payment.paid_amount:.2f}" if payment.paid_amount is not None else None,
        "check_at": payment.check_at.isoformat() if payment.check_at else None,
        "reconcile_due": DUE if payment.check_at else None,
    }
    return to_item(record)


@dataclass(frozen=True)
class PendingCreation:
    """A payment request Mercado Pago could not take yet, retried by the reconciler."""

    request: Envelope[OrderPaymentRequested]
    first_tried_at: datetime
    attempts: int
    check_at: datetime

    @property
    def order_id(self) -> str:
        return str(self.request.payload.order_id)


def creation_record(creation: PendingCreation) -> dict[str, Any]:
    return to_item(
        {
            # No order_id attribute: a pending creation never answers find_by_order.
            "payment_id": CREATION_PREFIX + creation.order_id,
            "kind": "creation",
            "request": creation.request.to_json(),
            "first_tried_at": creation.first_tried_at.isoformat(),
            "attempts": creation.attempts,
            "check_at": creation.check_at.isoformat(),
            "reconcile_due": DUE,
        }
    )


def from_creation_record(data: dict[str, Any]) -> PendingCreation:
    return PendingCreation(
        request=Envelope[OrderPaymentRequested].model_validate_json(data["request"]),
        first_tried_at=datetime.fromisoformat(data["first_tried_at"]),
        attempts=int(data["attempts"]),
        check_at=datetime.fromisoformat(data["check_at"]),
    )


def from_record(item: dict[str, Any]) -> Payment:
    data = from_item(item)
    approved_at = data.get("approved_at")
    return Payment(
        payment_id=data["payment_id"],
        order_id=data["order_id"],
        customer_id=data["customer_id"],
        amount=Decimal(data["amount"]),
        status=PaymentStatus(data["status"]),
        status_detail=data.get("status_detail"),
        qr_code=data.get("qr_code", ""),
        qr_code_base64=data.get("qr_code_base64", ""),
        ticket_url=data.get("ticket_url"),
        expires_at=datetime.fromisoformat(data["expires_at"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        version=int(data["version"]),
        approved_at=datetime.fromisoformat(approved_at) if approved_at else None,
        late_approval=bool(data.get("late_approval", False)),
        needs_refund=bool(data.get("needs_refund", False)),
        correlation_id=data.get("correlation_id"),
        refund_reason=data.get("refund_reason"),
        paid_amount=Decimal(data["paid_amount"]) if data.get("paid_amount") else None,
        check_at=datetime.fromisoformat(data["check_at"]) if data.get("check_at") else None,
    )


class PaymentRepository:
    def __init__(self, dynamodb: Any, tables: Tables) -> None:
        self._dynamodb = dynamodb
        self.tables = tables

    async def get(self, payment_id: str) -> Payment | None:
        response = await self._dynamodb.get_item(
            TableName=self.tables.payments,
            Key=to_item({"payment_id": payment_id}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return from_record(item) if item else None

    async def find_by_order(self, order_id: str) -> Payment | None:
        response = await self._dynamodb.query(
            TableName=self.tables.payments,
            IndexName=ORDER_INDEX,
            KeyConditionExpression="order_id = :order_id",
            ExpressionAttributeValues=to_item({":order_id": order_id}),
        )
        items = response.get("Items", [])
        return from_record(items[0]) if items else None

    async def order_was_cancelled(self, order_id: str) -> bool:
        response = await self._dynamodb.get_item(
            TableName=self.tables.inbox,
            Key=to_item({"event_id": _cancelled_marker_id(order_id)}),
            ConsistentRead=True,
        )
        return "Item" in response

    async def create(
        self,
        payment: Payment,
        cause: Envelope[Any],
        created: Envelope[Any],
        *,
        from_pending: bool = False,
    ) -> None:
        """Store a new payment and its payment-created event, unless the order was cancelled
        meanwhile; raises DuplicateEvent, or ConditionFailed(1 | CREATE_CANCELLED_CHECK).
        `from_pending`: the cause was recorded with its pending creation, which goes now."""
        first = (
            {"Delete": {"TableName": self.tables.payments, "Key": self._creation_key(payment)}}
            if from_pending
            else inbox_put(self.tables.inbox, cause)
        )
        await transact_items(
            self._dynamodb,
            [
                first,
                {
                    "Put": {
                        "TableName": self.tables.payments,
                        "Item": to_record(payment),
                        "ConditionExpression": "attribute_not_exists(payment_id)",
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": self.tables.inbox,
                        "Key": to_item({"event_id": _cancelled_marker_id(payment.order_id)}),
                        "ConditionExpression": "attribute_not_exists(event_id)",
                    }
                },
                *outbox_puts(self.tables.outbox, created),
            ],
        )

    async def save(
        self,
        payment: Payment,
        expected_version: int,
        events: list[Envelope[Any]],
        cause: Envelope[Any] | None = None,
    ) -> None:
        """Replace the item if nobody changed it since `expected_version` was read;
        raises ConditionFailed (or DuplicateEvent for a seen `cause`)."""
        put = {
            "Put": {
                "TableName": self.tables.payments,
                "Item": to_record(payment),
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": to_item({":expected": expected_version}),
            }
        }
        items = [inbox_put(self.tables.inbox, cause)] if cause is not None else []
        items.append(put)
        for event in events:
            items.extend(outbox_puts(self.tables.outbox, event))
        await transact_items(self._dynamodb, items)

    async def record_event(self, cause: Envelope[Any]) -> None:
        """Only mark `cause` as handled (raises DuplicateEvent if it was)."""
        await transact_items(self._dynamodb, [inbox_put(self.tables.inbox, cause)])

    async def record_cancelled_order(self, cause: Envelope[Any], order_id: str) -> None:
        """The order was cancelled before any payment existed: a marker that stops a late
        payment request from charging the customer."""
        marker = {
            "event_id": _cancelled_marker_id(order_id),
            "event_name": "order-cancelled-marker",
            "expires_at": int(time.time()) + INBOX_RETENTION_SECONDS,
        }
        await transact_items(
            self._dynamodb,
            [
                inbox_put(self.tables.inbox, cause),
                {"Put": {"TableName": self.tables.inbox, "Item": to_item(marker)}},
            ],
        )

    async def record_pending_creation(self, creation: PendingCreation) -> None:
        """The request is durably ours (the message can be acknowledged); raises
        DuplicateEvent for a redelivery."""
        put = {"Put": {"TableName": self.tables.payments, "Item": creation_record(creation)}}
        await transact_items(self._dynamodb, [inbox_put(self.tables.inbox, creation.request), put])

    async def reschedule_creation(self, creation: PendingCreation) -> None:
        await self._dynamodb.put_item(
            TableName=self.tables.payments,
            Item=creation_record(creation),
            ConditionExpression="attribute_exists(payment_id)",
        )

    async def drop_creation(self, order_id: str) -> None:
        await self._dynamodb.delete_item(
            TableName=self.tables.payments, Key=to_item({"payment_id": CREATION_PREFIX + order_id})
        )

    async def give_up_creation(self, order_id: str, failed: Envelope[Any]) -> None:
        """Drop the pending creation and tell the order, in one transaction."""
        key = to_item({"payment_id": CREATION_PREFIX + order_id})
        await transact_items(
            self._dynamodb,
            [
                {
                    "Delete": {
                        "TableName": self.tables.payments,
                        "Key": key,
                        "ConditionExpression": "attribute_exists(payment_id)",
                    }
                },
                *outbox_puts(self.tables.outbox, failed),
            ],
        )

    async def due_for_check(self, now: datetime, limit: int) -> list[Payment | PendingCreation]:
        """Payments and pending creations whose check is due, oldest schedule first."""
        query: dict[str, Any] = {
            "TableName": self.tables.payments,
            "IndexName": RECONCILE_INDEX,
            "KeyConditionExpression": "reconcile_due = :due",
            "FilterExpression": "check_at <= :now",
            "ExpressionAttributeValues": to_item({":due": DUE, ":now": now.isoformat()}),
        }
        found: list[dict[str, Any]] = []
        while len(found) < limit:
            response = await self._dynamodb.query(**query)
            found.extend(from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        found.sort(key=lambda data: str(data["check_at"]))
        return [self._due_item(data) for data in found[:limit]]

    async def flag_for_check(self, payment_id: str, now: datetime, min_interval: timedelta) -> bool:
        """A notification named this payment: the reconciler re-fetches it now, at most once
        per `min_interval`. Bumps the version so a concurrent save re-reads. False when
        rate-limited."""
        try:
            await self._dynamodb.update_item(
                TableName=self.tables.payments,
                Key=to_item({"payment_id": payment_id}),
                UpdateExpression=(
                    "SET check_at = :now, reconcile_due = :due, notified_at = :now,"
                    " #version = #version + :one"
                ),
                ConditionExpression=(
                    "attribute_exists(payment_id) AND"
                    " (attribute_not_exists(notified_at) OR notified_at < :cutoff)"
                ),
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues=to_item(
                    {
                        ":now": now.isoformat(),
                        ":due": DUE,
                        ":one": 1,
                        ":cutoff": (now - min_interval).isoformat(),
                    }
                ),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def _due_item(data: dict[str, Any]) -> Payment | PendingCreation:
        if data.get("kind") == "creation":
            return from_creation_record(data)
        return from_record(to_item(data))

    @staticmethod
    def _creation_key(payment: Payment) -> dict[str, Any]:
        return to_item({"payment_id": CREATION_PREFIX + payment.order_id})

    async def ping(self) -> None:
        await self._dynamodb.describe_table(TableName=self.tables.payments)
