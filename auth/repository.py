"""Postgres persistence of customers, staff accounts and throttled attempts (SQLAlchemy Core)."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.domain import Customer, StaffAccount
from common.db import ping

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", PgUUID(as_uuid=True), primary_key=True),
    Column("cpf", CHAR(11), nullable=False),
    Column("name", String(120), nullable=False),
    Column("email", String(254), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("cpf", name="uq_customers_cpf"),
    CheckConstraint("cpf ~ '^[0-9]{11}$'", name="ck_customers_cpf_digits"),
)

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", PgUUID(as_uuid=True), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("deactivated_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("username", name="uq_staff_users_username"),
    CheckConstraint("role IN ('staff', 'admin')", name="ck_staff_users_role"),
)

# One row per throttled attempt (a sliding log), see auth.throttle.
attempts = Table(
    "attempts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("bucket", String(200), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Index("ix_attempts_bucket_attempted_at", "bucket", "attempted_at"),
    Index("ix_attempts_attempted_at", "attempted_at"),
)
SWEEP_BATCH = 100  # stale rows removed per attempt: amortised, the table stays small


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id, cpf=row.cpf, name=row.name, email=row.email, created_at=row.created_at
    )


def _staff(row: Any) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        active=row.active,
        created_at=row.created_at,
    )


class AuthRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ping(self) -> None:
        await ping(self._engine)

    async def add_customer(self, customer: Customer) -> bool:
        """Insert; False when the CPF is already registered (the unique index decides)."""
        statement = (
            insert(customers)
            .values(
                id=customer.id,
                cpf=customer.cpf,
                name=customer.name,
                email=customer.email,
                created_at=customer.created_at,
            )
            .on_conflict_do_nothing(index_elements=["cpf"])
            .returning(customers.c.id)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(statement)).scalar_one_or_none() is not None

    async def customer_by_cpf(self, cpf: str) -> Customer | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(customers).where(customers.c.cpf == cpf))).first()
        return _customer(row) if row else None

    async def staff_by_username(self, username: str) -> StaffAccount | None:
        query = select(staff_users).where(staff_users.c.username == username)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _staff(row) if row else None

    async def add_staff_if_absent(self, account: StaffAccount) -> bool:
        """Insert; False when the username exists (safe with several instances starting)."""
        statement = (
            insert(staff_users)
            .values(
                id=account.id,
                username=account.username,
                password_hash=account.password_hash,
                role=account.role,
            )
            .on_conflict_do_nothing(index_elements=["username"])
            .returning(staff_users.c.id)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(statement)).scalar_one_or_none() is not None

    async def set_password_hash(self, account_id: UUID, password_hash: str) -> None:
        statement = (
            update(staff_users)
            .where(staff_users.c.id == account_id)
            .values(password_hash=password_hash)
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def list_staff(self) -> list[StaffAccount]:
        query = select(staff_users).order_by(staff_users.c.username)
        async with self._engine.connect() as conn:
            return [_staff(row) for row in await conn.execute(query)]

    async def deactivate_staff(self, username: str, at: datetime) -> bool:
        """Deactivate unless it is the last active admin; False when that refused it.

        An advisory lock serialises deactivations, so two admins removing each other at
        the same moment cannot leave the platform with no admin at all.
        """
        async with self._engine.begin() as conn:
            await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("staff_users"))))
            other_admins = (
                select(func.count())
                .select_from(staff_users)
                .where(
                    staff_users.c.role == "admin",
                    staff_users.c.active,
                    staff_users.c.username != username,
                )
                .scalar_subquery()
            )
            statement = (
                update(staff_users)
                .where(
                    staff_users.c.username == username,
                    (staff_users.c.role != "admin") | (other_admins > 0),
                )
                .values(
                    active=False, deactivated_at=func.coalesce(staff_users.c.deactivated_at, at)
                )
                .returning(staff_users.c.id)
            )
            return (await conn.execute(statement)).first() is not None

    async def hit_attempt(
        self, bucket: str, *, limit: int, window: timedelta, now: datetime, keep: timedelta
    ) -> float | None:
        """Record an attempt in `bucket` unless `limit` were made within `window`.

        Returns None when recorded, else the seconds until the oldest counted attempt
        leaves the window. The per-bucket advisory lock makes check-and-record atomic
        across every instance of the service; each call also sweeps a few rows older than
        `keep` (the longest window in use) so abandoned buckets do not pile up.
        """
        since = now - window
        async with self._engine.begin() as conn:
            await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(bucket))))
            count, oldest = (
                await conn.execute(
                    select(func.count(), func.min(attempts.c.attempted_at)).where(
                        attempts.c.bucket == bucket, attempts.c.attempted_at > since
                    )
                )
            ).one()
            if count >= limit:
                retry_after: float = max((oldest - since).total_seconds(), 0.0)
                return retry_after
            await conn.execute(attempts.insert().values(bucket=bucket, attempted_at=now))
            stale = (
                select(attempts.c.id)
                .where(attempts.c.attempted_at < now - keep)
                .limit(SWEEP_BATCH)
                .scalar_subquery()
            )
            await conn.execute(delete(attempts).where(attempts.c.id.in_(stale)))
            return None

    async def clear_attempts(self, bucket: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(attempts).where(attempts.c.bucket == bucket))
