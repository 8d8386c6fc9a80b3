"""Postgres persistence of customers and staff accounts (SQLAlchemy Core, asyncpg)."""

from typing import Any
from uuid import UUID

from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
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
    UniqueConstraint("username", name="uq_staff_users_username"),
    CheckConstraint("role IN ('staff', 'admin')", name="ck_staff_users_role"),
)


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id, cpf=row.cpf, name=row.name, email=row.email, created_at=row.created_at
    )


def _staff(row: Any) -> StaffAccount:
    return StaffAccount(
        id=row.id, username=row.username, password_hash=row.password_hash, role=row.role
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
