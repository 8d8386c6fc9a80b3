"""order-service-queue: payment and kitchen events, each applied once."""

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.messaging import Handler
from order.service import handle_order_event

EVENTS = (
    "payment-created",
    "payment-approved",
    "payment-rejected",
    "payment-expired",
    "payment-refunded",
    "payment-charged-back",
    "payment-creation-failed",
    "production-started",
    "production-completed",
    "production-delivered",
)


def handlers(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Handler]:
    handler = partial(handle_order_event, sessions)
    return dict.fromkeys(EVENTS, handler)
