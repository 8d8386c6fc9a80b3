"""Auth request and response bodies (pydantic): the API contract, validated at the edge."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auth.domain import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_PATTERN,
    Customer,
    StaffAccount,
    StaffRole,
    normalize_cpf,
    normalize_email,
)
from auth.tokens import IssuedToken
from common.identity import Role


class CpfIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    cpf: str = Field(max_length=14, examples=["123.456.789-09"])

    @field_validator("cpf")
    @classmethod
    def _valid_cpf(cls, value: str) -> str:
        return normalize_cpf(value)


class RegisterIn(CpfIn):
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    email: str = Field(max_length=EMAIL_MAX_LENGTH, examples=["maria@example.com"])

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return normalize_email(value)


class StaffLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class StaffIn(BaseModel):
    """An admin creates a staff (or admin) account."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN, examples=["cook.maria"])
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    role: StaffRole = "staff"


class StaffOut(BaseModel):
    id: UUID
    username: str
    role: StaffRole
    active: bool
    created_at: datetime | None

    @classmethod
    def of(cls, account: StaffAccount) -> "StaffOut":
        return cls(
            id=account.id,
            username=account.username,
            role=account.role,
            active=account.active,
            created_at=account.created_at,
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type name
    expires_in: int

    @classmethod
    def of(cls, token: IssuedToken) -> "TokenOut":
        return cls(access_token=token.access_token, expires_in=token.expires_in)


class CustomerOut(BaseModel):
    id: UUID
    name: str
    email: str


class CustomerTokenOut(TokenOut):
    customer: CustomerOut

    @classmethod
    def of_customer(cls, customer: Customer, token: IssuedToken) -> "CustomerTokenOut":
        return cls(
            access_token=token.access_token,
            expires_in=token.expires_in,
            customer=CustomerOut(id=customer.id, name=customer.name, email=customer.email),
        )


class MeOut(BaseModel):
    subject: str
    role: Role
    name: str | None
    email: str | None
    anonymous: bool


class JwksOut(BaseModel):
    keys: list[dict[str, Any]]
