"""A year of order history, generated inside Postgres (`generate_series`), in seconds.

Shape, per order: 2 items, 3 history rows, 2 outbox rows (sent) and 1 inbox row, spread
evenly over the past 365 days; 20,000 customers; every order with an idempotency key; all
finished (DELIVERED, or CANCELLED one in ten) but the newest `active` ones, which are
spread over the active statuses; and `pending` outbox rows not sent yet. That is the table
shape the hot queries meet after a year (before pruning caught up with outbox and inbox).
Ids are md5-derived UUIDs, so the child rows find their order without a lookup.
"""

from typing import Any

ACTIVE = ("AWAITING_PAYMENT", "PAID", "IN_PREPARATION", "READY")

_STATEMENTS = (
    """
    INSERT INTO orders (id, display_number, customer_id, customer_name, customer_email, status,
                        total, idempotency_key, needs_refund, created_at, updated_at)
    SELECT md5('o' || n)::uuid, 'A' || lpad((n % 1000)::text, 3, '0'),
           'customer-' || (n % 20000), 'Ana', 'ana@example.com',
           CASE WHEN n > $1 - $2 THEN ($3::text[])[1 + n % 4]
                WHEN n % 10 = 0 THEN 'CANCELLED' ELSE 'DELIVERED' END,
           33.40, 'key-' || n, false,
           now() - interval '365 days' * (1 - n::float8 / $1),
           now() - interval '365 days' * (1 - n::float8 / $1)
    FROM generate_series(1, $1::int) AS n
    """,
    """
    INSERT INTO order_items (order_id, product_id, name, unit_price, quantity)
    SELECT md5('o' || n)::uuid, md5('p' || k)::uuid, 'X-Burger', 16.70, 1
    FROM generate_series(1, $1::int) AS n, generate_series(1, 2) AS k
    """,
    """
    INSERT INTO order_status_history (order_id, status, at)
    SELECT md5('o' || n)::uuid, (ARRAY['AWAITING_PAYMENT', 'PAID', 'DELIVERED'])[k],
           now() - interval '365 days' * (1 - n::float8 / $1)
    FROM generate_series(1, $1::int) AS n, generate_series(1, 3) AS k
    """,
    """
    INSERT INTO outbox (event_id, destination, event_name, body, created_at, next_attempt_at,
                        sent_at)
    SELECT md5('e' || n)::uuid, d, 'order-created', '{}', t, t,
           CASE WHEN n > $1 - $2 THEN NULL ELSE t END
    FROM (SELECT n, now() - interval '365 days' * (1 - n::float8 / $1) AS t
          FROM generate_series(1, $1::int) AS n) AS s,
         unnest(ARRAY['payment', 'production']) AS d
    """,
    """
    INSERT INTO inbox (event_id, event_name, processed_at)
    SELECT md5('i' || n)::uuid, 'payment-approved',
           now() - interval '365 days' * (1 - n::float8 / $1)
    FROM generate_series(1, $1::int) AS n
    """,
)


async def preload_history(connection: Any, orders: int, active: int = 40, pending: int = 5) -> None:
    """Fill an order database (migrated, empty) through an asyncpg connection, then ANALYZE
    so the planner sees the real sizes."""
    await connection.execute("SET synchronous_commit = off")
    arguments: tuple[Any, ...]
    for number, statement in enumerate(_STATEMENTS):
        if number == 0:
            arguments = (orders, active, list(ACTIVE))
        elif number == 3:
            arguments = (orders, pending)
        else:
            arguments = (orders,)
        await connection.execute(statement, *arguments)
    await connection.execute("ANALYZE")
